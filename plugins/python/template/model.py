"""A sweep model plugin: ridge regression fitted by gradient descent in
numpy, one step per epoch. Make it yours: declare your model's
hyperparameters in params, and in train report its metrics once per epoch.

    sweep run grid.toml
"""

import numpy as np

from sweep_plugin import Model, param, serve

EPOCHS = 100


class Ridge(Model):
    name = "ridge"
    version = "1"  # bump it when the model's numbers change: sweep then runs its trials again
    metrics = ["train_loss", "val_loss"]  # what train reports; val_loss is sweep's default objective
    params = [
        param("lr", float, 0.1, min=0, max=1, min_exclusive=True, help="gradient descent's step size"),
        param("l2", float, 1e-3, min=0, help="L2 penalty on the weights"),
    ]

    def train(self, trial):
        lr, l2 = trial.params["lr"], trial.params["l2"]
        d = trial.data  # the grid's [data], split and standardised: numpy float64 arrays
        w, b = np.random.default_rng(trial.seed).normal(scale=0.01, size=d.train_x.shape[1]), 0.0
        for epoch in range(EPOCHS):
            err = d.train_x @ w + b - d.train_y
            w = w - lr * (d.train_x.T @ err / len(err) + l2 * w)
            b -= lr * err.mean()
            train_loss = np.mean((d.train_x @ w + b - d.train_y) ** 2)
            val_loss = np.mean((d.val_x @ w + b - d.val_y) ** 2)
            due = trial.histograms_due(epoch, last=epoch == EPOCHS - 1)  # the grid's log_every
            # report raises sweep_plugin.Stopped when sweep stops the trial (its timeout, Ctrl-C).
            trial.report(epoch, train_loss=train_loss, val_loss=val_loss,
                         histograms={"weights/w": w} if due else None)


if __name__ == "__main__":
    serve(Ridge())
