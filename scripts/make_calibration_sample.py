"""Make fastscore/datasets/calibration_digits.npz (run once; the file is committed).

Real predictions on real data: two scikit-learn classifiers (Gaussian naive
Bayes, over-confident; a strongly regularised logistic regression,
under-confident) trained on
half of the UCI optical-recognition digits (the copy bundled with
scikit-learn) and evaluated on the other half.
"""
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import GaussianNB

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, random_state=0, stratify=y)
naive_bayes = GaussianNB().fit(X_train, y_train).predict_proba(X_test)
logistic = LogisticRegression(max_iter=5000, C=0.05).fit(X_train / 16, y_train).predict_proba(X_test / 16)
out = Path(__file__).resolve().parents[1] / "fastscore" / "datasets" / "calibration_digits.npz"
np.savez_compressed(
    out,
    y_true=y_test.astype(np.int64),
    naive_bayes=naive_bayes.astype(np.float32),
    logistic=logistic.astype(np.float32),
)
print(f"wrote {out}: {len(y_test)} samples, 10 classes")
