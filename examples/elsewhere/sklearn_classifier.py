# scikit-learn's own MLPClassifier on a two-class problem, used as it ships.
import warnings

from sklearn.datasets import make_moons
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = make_moons(n_samples=80, noise=0.2, random_state=1)

clf = MLPClassifier(
    hidden_layer_sizes=(5,),
    activation="tanh",
    alpha=1e-3,
    solver="sgd",
    learning_rate_init=0.1,
    batch_size=20,
    max_iter=1,
    random_state=1,
)
clf.fit(X, y)
