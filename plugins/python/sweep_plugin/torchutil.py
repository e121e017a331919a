"""Histograms and the layer graph of a PyTorch module, named as sweep's
built-in network names its own (weights/network.0.weight,
FeedforwardNet/network.0), so that TensorBoard shows both alike."""

from __future__ import annotations

from typing import Any

from ._trial import Node


def histograms(module: Any) -> dict[str, Any]:
    """weights/<name> for every parameter of module and gradients/<name> for
    each that has a gradient, as tensors, for trial.report(histograms=...)."""
    params = list(module.named_parameters())
    out = {f"weights/{name}": p for name, p in params}
    out.update((f"gradients/{name}", p.grad) for name, p in params if p.grad is not None)
    return out


def graph(module: Any, example: Any) -> list[Node]:
    """The module's leaf layers as a chain, in the order in which a forward
    pass of the batch example calls them, each with its output shape (-1 for
    the batch): right for nn.Sequential-style models. The pass runs in eval
    mode without gradients, and leaves module as it was."""
    import torch

    calls: list[tuple[str, Any, Any]] = []
    hooks = [m.register_forward_hook(lambda m, inputs, out, name=name: calls.append((name, m, out)))
             for name, m in module.named_modules() if next(m.children(), None) is None]
    training = module.training
    try:
        module.eval()
        with torch.no_grad():
            module(example)
    finally:
        for h in hooks:
            h.remove()
        module.train(training)
    nodes = [Node("input", "Input", shape=[-1, *example.shape[1:]])]
    for name, m, out in calls:
        shape = [-1, *out.shape[1:]] if hasattr(out, "shape") else []
        nodes.append(Node(f"{type(module).__name__}/{name}", type(m).__name__, [nodes[-1].name], shape))
    return nodes
