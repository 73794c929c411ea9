# scikit-learn's own MLPRegressor, used as it ships.
# One pass of plain SGD is enough to create coefs_ / intercepts_.
import warnings

import numpy as np
from sklearn.datasets import make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPRegressor

warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = make_regression(n_samples=64, n_features=3, noise=0.1, random_state=0)
y = y / np.std(y)

model = MLPRegressor(
    hidden_layer_sizes=(4,),
    activation="logistic",
    alpha=0.0,
    solver="sgd",
    learning_rate_init=0.01,
    batch_size=16,
    momentum=0.0,
    max_iter=1,
    shuffle=False,
    random_state=0,
)
model.fit(X, y)
