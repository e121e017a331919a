"""The textbook's FeedforwardNet in PyTorch as a sweep model plugin: the
built-in network's architecture, defaults and early stopping, trained on the
same prepared data, so that the two compare (sweeps/torch_ffn.toml)."""

import torch
from torch import nn

from sweep_plugin import Model, param, serve
from sweep_plugin.torchutil import graph, histograms


class FeedforwardNet(nn.Module):
    def __init__(self, inputs: int, hidden_dims: list[int], dropout: float):
        super().__init__()
        layers: list[nn.Module] = []
        for width in hidden_dims:
            layers += [nn.Linear(inputs, width), nn.BatchNorm1d(width), nn.ReLU(), nn.Dropout(dropout)]
            inputs = width
        self.network = nn.Sequential(*layers, nn.Linear(inputs, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.network(x)


class TorchFFN(Model):
    name = "torch_ffn"
    version = "1"
    metrics = ["train_loss", "val_loss", "learning_rate", "pred_mean", "pred_std"]
    params = [
        param("hidden_dims", list[int], [64, 32], min=1, help="width of each hidden layer"),
        param("dropout", float, 0.3, min=0, max=1, max_exclusive=True, help="dropout after each hidden layer"),
        param("lr", float, 1e-3, min=0, min_exclusive=True, help="Adam's learning rate"),
        param("weight_decay", float, 0.0, min=0, help="Adam's L2 penalty"),
        param("batch_size", int, 64, min=1, help="training rows per step"),
        param("epochs", int, 100, min=1, help="maximum number of epochs"),
        param("patience", int, 10, min=0, help="stop after more than this many epochs without improvement"),
    ]

    def train(self, trial):
        p, d = trial.params, trial.data
        torch.manual_seed(trial.seed)
        x, y = torch.tensor(d.train_x, dtype=torch.float32), torch.tensor(d.train_y, dtype=torch.float32)[:, None]
        val_x, val_y = torch.tensor(d.val_x, dtype=torch.float32), torch.tensor(d.val_y, dtype=torch.float32)[:, None]
        net = FeedforwardNet(x.shape[1], p["hidden_dims"], p["dropout"])
        opt = torch.optim.Adam(net.parameters(), lr=p["lr"], weight_decay=p["weight_decay"])
        mse = nn.MSELoss()
        best, bad = float("inf"), 0
        for epoch in range(p["epochs"]):
            net.train()
            losses = []
            for batch in torch.randperm(len(x)).split(p["batch_size"]):
                opt.zero_grad()
                loss = mse(net(x[batch]), y[batch])
                loss.backward()
                opt.step()
                losses.append(loss.item())
            net.eval()
            with torch.no_grad():
                pred = net(val_x)
            val_loss = mse(pred, val_y).item()
            best, bad = (val_loss, 0) if val_loss < best else (best, bad + 1)
            last = bad > p["patience"] or epoch == p["epochs"] - 1
            trial.report(epoch, train_loss=sum(losses) / len(losses), val_loss=val_loss, learning_rate=p["lr"],
                         pred_mean=pred.mean(), pred_std=pred.std(),
                         graph=graph(net, x[:2]) if epoch == 0 else None,
                         histograms=histograms(net) if trial.histograms_due(epoch, last) else None)
            if last:
                if epoch < p["epochs"] - 1:
                    trial.stop_early()  # patience ran out: the record says stopped_early
                break


if __name__ == "__main__":
    torch.set_num_threads(1)  # one process per worker, one worker per core (see plugins/README.md)
    serve(TorchFFN())
