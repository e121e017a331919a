"""Unit tests of sweep_plugin's parts that need no host: declarations, the
data file reader's checks, report's checks and conversions, and the failure
message. python_test.go runs them; the SDK's work with a real host is tested
in ../python_test.go and ../../tests/testdata/python.txtar."""

import json
import os
import struct
import tempfile
import unittest

import numpy

from sweep_plugin import DataError, Model, Stopped, param
from sweep_plugin import _data
from sweep_plugin import model_pb2 as pb
from sweep_plugin._model import describe
from sweep_plugin._server import _failure
from sweep_plugin._trial import Trial


class ParamTest(unittest.TestCase):
    def test_rules(self):
        for p, rule in [
            (param("dropout", float, 0.3, min=0, max=1, max_exclusive=True), "in [0, 1)"),
            (param("lr", float, 1e-3, min=0, min_exclusive=True), "> 0"),
            (param("n", int, 3, max=10), "≤ 10"),
            (param("act", str, "relu", choices=["relu", "tanh"]), "one of relu, tanh"),
            (param("dims", list[int], [64], min=1, min_len=1, max_len=4), "1 to 4 elements, each ≥ 1"),
            (param("w", list[float], [], max_len=2), "0 to 2 elements"),
            (param("flag", bool, True), ""),
        ]:
            self.assertEqual(p.rule(), rule, p.name)

    def test_defaults_are_typed(self):
        self.assertEqual(param("lr", float, 1).default, 1.0)
        self.assertIs(type(param("lr", float, 1).default), float)
        self.assertEqual(param("w", list[float], (1, 2)).default, [1.0, 2.0])
        self.assertIsNone(param("required", int).default)

    def test_bad_declarations(self):
        for args, kwargs, error in [
            (("", int, 1), {}, "non-empty string"),
            (("x", dict, 1), {}, "is not one of float, int"),
            (("x", int, True), {}, "True is not an int"),
            (("x", int, 1.5), {}, "1.5 is not an int"),
            (("x", list[int], [1, 2.5]), {}, "is not a list\\[int\\]"),
            (("x", str, "a"), {"min": 0}, "a str cannot have a minimum"),
            (("x", float, 1.0), {"choices": ["a"]}, "cannot have choices"),
            (("x", str, "a"), {"choices": []}, "non-empty list of strings"),
            (("x", int, 1), {"max_len": 3}, "an int has no length"),
            (("x", float, 1.0), {"min_exclusive": True}, "min_exclusive needs min"),
            (("x", float, 0.5), {"min": 1, "max": 0}, "no value is both above min 1 and below max 0"),
            (("x", float, 0.5), {"min": 1, "max": 1, "max_exclusive": True}, "no value"),
            (("x", float, 0.5), {"min": float("nan")}, "min must be a number"),
            (("x", list[int], [1]), {"min_len": 3, "max_len": 2}, "max_len must be"),
            (("x", float, 1.5), {"min": 0, "max": 1}, "the default breaks the constraints: 1.5 is out of range"),
            (("x", str, "z"), {"choices": ["a"]}, "'z' is not allowed: x must be one of a"),
            (("x", list[int], [1, 2, 3]), {"max_len": 2}, "3 elements are not allowed: x takes 0 to 2 elements"),
        ]:
            with self.assertRaisesRegex((TypeError, ValueError), error, msg=f"{args} {kwargs}"):
                param(*args, **kwargs)


class Good(Model):
    name = "good"
    params = [param("lr", float, 0.1)]
    metrics = ["val_loss"]

    def train(self, trial):
        pass


class DescribeTest(unittest.TestCase):
    def test_good(self):
        d = describe(Good())
        self.assertEqual((d.name, [p.name for p in d.params], list(d.metrics)),
                         ("good", ["lr"], ["val_loss"]))

    def test_bad(self):
        cases = [
            (Good, "serve\\(Good\\(\\)\\)"),
            (object(), "instance of a sweep_plugin.Model subclass"),
            (type("NoName", (Good,), {"name": ""})(), "name must be a non-empty string"),
            (type("NoTrain", (Model,), {"name": "x", "metrics": ["m"]})(), "must define train"),
            (type("Twice", (Good,), {"params": [param("a", int, 1), param("a", int, 2)]})(), "declares 'a' twice"),
            (type("Raw", (Good,), {"params": [("a", int)]})(), "only param"),
            (type("NoMetrics", (Good,), {"metrics": []})(), "metrics must list"),
            (type("Dup", (Good,), {"metrics": ["m", "m"]})(), "lists 'm' twice"),
        ]
        for model, error in cases:
            with self.assertRaisesRegex((TypeError, ValueError), error):
                describe(model)


def arrays_file(directory, header, floats):
    """Writes a prepared-arrays file as plugins/dataset/arrays.go does."""
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    path = os.path.join(directory, "arrays.f64")
    with open(path, "wb") as f:
        f.write(b"SWEEPARR" + struct.pack("<Q", len(h)) + h + struct.pack(f"<{len(floats)}d", *floats))
    return path


class DataTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()

    def tearDown(self):
        for name in os.listdir(self.dir):
            os.remove(os.path.join(self.dir, name))
        os.rmdir(self.dir)

    def test_read(self):
        header = {"version": 1, "features": ["a", "b"], "target": "y", "num_train": 2, "num_val": 1,
                  "mean": None, "scale": None}
        path = arrays_file(self.dir, header, [1, 2, 3, 4, 10, 20, 5, 6, 30])
        d = _data.load(path)
        self.assertEqual(d.train_x.tolist(), [[1, 2], [3, 4]])
        self.assertEqual((d.train_y.tolist(), d.val_x.tolist(), d.val_y.tolist()), ([10, 20], [[5, 6]], [30]))
        self.assertEqual((d.features, d.target, d.mean), (["a", "b"], "y", None))
        self.assertFalse(d.train_x.flags.writeable)  # shared by the process's trials
        self.assertIs(_data.load(path), d)

    def test_bad_files(self):
        header = {"version": 1, "features": ["a"], "target": "y", "num_train": 1, "num_val": 1}
        for name, content, error in [
            ("empty", b"", "empty|cannot mmap"),
            ("other", b"PK\x03\x04 not ours at all", "not a prepared-arrays file"),
        ]:
            path = os.path.join(self.dir, name)
            with open(path, "wb") as f:
                f.write(content)
            with self.assertRaisesRegex(DataError, error):
                _data.load(path)
        with self.assertRaisesRegex(DataError, "not the size its header describes"):
            _data.load(arrays_file(self.dir, header, [1, 2, 3]))
        with self.assertRaisesRegex(DataError, "version 2"):
            _data.load(arrays_file(self.dir, dict(header, version=2), [1, 2, 3, 4]))


class ReportTest(unittest.TestCase):
    def trial(self, stopped=False, accept=True):
        self.sent = []

        def send(ev):
            self.sent.append(ev)
            return accept
        return Trial("t1", {}, 1, 2, "", {}, ["train_loss", "val_loss"], send, lambda: stopped)

    def test_report(self):
        t = self.trial()
        t.report(0, train_loss=numpy.float32(0.5), val_loss=1, histograms={"w": numpy.eye(2), "v": [1, 2]})
        ev = self.sent[0]
        self.assertEqual([(s.tag, s.value) for s in ev.scalars], [("train_loss", 0.5), ("val_loss", 1.0)])
        self.assertEqual([(h.tag, list(h.values)) for h in ev.histograms], [("w", [1, 0, 0, 1]), ("v", [1, 2])])
        self.assertEqual([t.histograms_due(e, last=e == 5) for e in range(6)], [True, False, True, False, True, True])

    def test_refused(self):
        t = self.trial()
        for kwargs, error in [({"accuracy": 1.0}, "'accuracy' is not a declared metric"),
                              ({"val_loss": "low"}, "val_loss = 'low' is not a number"),
                              ({"val_loss": [1, 2]}, "is not a number")]:
            with self.assertRaisesRegex((TypeError, ValueError), error):
                t.report(0, **kwargs)
        with self.assertRaisesRegex(ValueError, "negative"):
            t.report(-1, val_loss=1)
        with self.assertRaises(TypeError):
            t.report(1.5, val_loss=1)
        self.assertEqual(self.sent, [])

    def test_stopped(self):
        with self.assertRaisesRegex(Stopped, "sweep stopped trial t1"):
            self.trial(stopped=True).report(0, val_loss=1)
        self.assertEqual(self.sent, [])

    def test_stop_early(self):
        t = self.trial()
        self.assertFalse(t._stopped_early)
        t.report(0, val_loss=1)
        t.stop_early()
        self.assertTrue(t._stopped_early)
        with self.assertRaisesRegex(ValueError, "epoch 1 after stop_early"):
            t.report(1, val_loss=1)
        self.assertEqual(len(self.sent), 1)

    def test_no_data(self):
        with self.assertRaisesRegex(RuntimeError, "sweep sent no data file"):
            self.trial().data


class SaveTest(unittest.TestCase):
    def test_save(self):
        with tempfile.TemporaryDirectory() as d:
            ck = pb.Checkpoint(dir=d, last=True, metadata={"trial_id": "t1"})
            t = Trial("t1", {}, 1, 0, "", {}, [], lambda ev: True, lambda: False, ck)
            self.assertEqual((t.checkpoint_dir, t.checkpoint_last, t.checkpoint_metadata), (d, True, {"trial_id": "t1"}))
            self.assertEqual(t.save(b"w", "model.bin"), os.path.join(d, "model.bin"))
            src = os.path.join(d, "written-by-the-model")
            with open(src, "wb") as f:
                f.write(b"from a file")
            t.save(src, "copy.pt")
            with open(os.path.join(d, "copy.pt"), "rb") as f:
                self.assertEqual(f.read(), b"from a file")
            for bad in ["", ".hidden", "../x", "a/b", "trial.json", "model.log", "events.out.tfevents.1"]:
                with self.assertRaises(ValueError, msg=bad):
                    t.save(b"", bad)
            self.assertEqual(sorted(os.listdir(d)), ["copy.pt", "model.bin", "written-by-the-model"])

    def test_no_checkpoint(self):
        t = Trial("t1", {}, 1, 0, "", {}, [], lambda ev: True, lambda: False)
        self.assertIsNone(t.checkpoint_dir)
        self.assertIsNone(t.save(b"w", "model.bin"))


class FailureTest(unittest.TestCase):
    def test_names_the_models_line(self):
        def train():
            numpy.zeros(2).reshape(3)  # raises inside numpy
        try:
            train()
        except ValueError as e:
            msg = _failure(e)
        self.assertRegex(msg, r"^ValueError: cannot reshape .* \(test_sweep_plugin\.py:\d+ in train\)$")
        try:
            raise RuntimeError()
        except RuntimeError as e:
            self.assertRegex(_failure(e), r"^RuntimeError \(test_sweep_plugin\.py:\d+ in test_names_the_models_line\)$")


if __name__ == "__main__":
    unittest.main()
