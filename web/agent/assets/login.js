// Shows the sign-in error after a failed attempt (/agent/login?failed=1).
"use strict";
if (new URLSearchParams(window.location.search).has("failed")) {
  document.getElementById("login-error").hidden = false;
}
