"""The pages people use (agent console, dashboard, softphone) beside the HTTP routes that serve them."""
