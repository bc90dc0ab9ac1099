"""A temperature-calibrated linear classifier scored with numpy: CalibratedClassifierCV's sums, no checks."""

from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.utils.extmath import softmax


class CalibratedLinear:
    """``predict_proba`` of a fitted ``CalibratedClassifierCV(LogisticRegression, method="temperature",
    ensemble=False)`` over a feature matrix split in a dense block and a sparse block.

    Why not sklearn itself: for one row its input validation (check_array, namespaces, fitted checks, twice
    over) costs ~2-5 ms, most of the classifier's time; the arithmetic is two small products. This repeats
    sklearn 1.9's steps exactly (decision function, the probability-looking-input test of
    ``_convert_to_logits``, softmax of beta x logits, the clip above 1); tests compare it with sklearn on
    every project text, so an upgrade that changes them fails there rather than diverging silently.
    """

    def __init__(self, calibrated: CalibratedClassifierCV, dense_columns: int) -> None:
        if calibrated.method != "temperature" or len(calibrated.calibrated_classifiers_) != 1:
            raise ValueError("needs one temperature-calibrated classifier (ensemble=False)")
        fitted = calibrated.calibrated_classifiers_[0]
        estimator = fitted.estimator
        if not isinstance(estimator, LogisticRegression) or len(estimator.classes_) < 3:
            raise ValueError("needs a multi-class LogisticRegression")
        coef = np.asarray(estimator.coef_, dtype=np.float64)
        self.classes = [str(c) for c in calibrated.classes_]
        self._dense_t = np.ascontiguousarray(coef[:, :dense_columns].T)
        self._sparse_t = np.ascontiguousarray(coef[:, dense_columns:].T)
        self._intercept = np.asarray(estimator.intercept_, dtype=np.float64)
        self._beta = float(np.asarray(fitted.calibrators[0].beta_))

    def predict_proba(self, dense: np.ndarray, lexical: sparse.csr_matrix) -> np.ndarray:
        """Rows of calibrated probabilities, columns in ``classes`` order."""
        decision = np.asarray(dense, dtype=np.float64) @ self._dense_t
        decision += np.asarray(lexical @ self._sparse_t)
        decision += self._intercept
        # sklearn's _convert_to_logits: a matrix that looks like probabilities is read as probabilities.
        if np.all((decision >= 0) & (decision <= 1)) and np.all(np.isclose(decision.sum(axis=1), 1.0)):
            decision = np.log(decision + 1e-12)
        proba = softmax(self._beta * decision)
        proba[(1.0 < proba) & (proba <= 1.0 + 1e-5)] = 1.0
        return proba
