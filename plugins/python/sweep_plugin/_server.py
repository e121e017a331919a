"""serve(): the go-plugin handshake, the gRPC server, and the trials run in
the main thread. The host's side is plugins/client.go; this mirrors what
plugins.Serve does for Go models (plugins/server.go)."""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import site
import socket
import sys
import sysconfig
import tempfile
import threading
import time
import traceback
from concurrent import futures
from typing import Any, Callable, NoReturn, Optional

import grpc

from . import model_pb2 as pb
from . import model_pb2_grpc as pb_grpc
from ._model import Model, describe
from ._params import from_value
from ._trial import Stopped, Trial

# plugins.Handshake (plugins/handshake.go): the cookie that says sweep started
# the process, go-plugin's core protocol version and sweep's.
_COOKIE_KEY, _COOKIE = "SWEEP_PLUGIN_COOKIE", "sweep-model-7f3c9a1e"
_CORE_PROTOCOL, _APP_PROTOCOL = 1, 1
# plugins/stderr.go: the line that ends a call's output on stderr, and the
# trailer that names it, so that the host moves on to the next trial's log
# only once the call's last lines have reached this one's.
_MARK_PREFIX, _MARK_TRAILER = "\0sweep-stderr-mark ", "sweep-stderr-mark"
# How often waiting threads look at the parent and at cancellations.
_POLL = 0.1
# Events a trial may run ahead of the host: report blocks beyond this, so
# that a pruner judges a trial that is not far past what it has seen.
_AHEAD = 4
_END = object()  # the end of a trial's event queue


def serve(model: Model) -> NoReturn:
    """Serves model to sweep and never returns: the process exits when sweep
    closes it or dies.

    Run by hand (not by sweep), it checks the model's declarations, prints
    how to use it and exits with status 1. In the plugin process, stdout and
    stderr both go to the log of the trial running (model.log); SIGINT is
    ignored (the host owns Ctrl-C and cancels trials itself); trials run one
    at a time in the main thread.
    """
    desc = describe(model)
    if os.environ.get(_COOKIE_KEY) != _COOKIE:
        print(f"{desc.name}: a sweep model plugin, which sweep starts. Name it in a grid:\n"
              f'  interpreter = "{sys.executable}"   # a Python with grpcio and protobuf\n'
              f'  plugin      = "{sys.argv[0]}"', file=sys.stderr)
        sys.exit(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    jobs: queue.Queue[Optional[_Job]] = queue.Queue()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8), options=[
        # Histograms of a large network exceed gRPC's default 4 MiB.
        ("grpc.max_send_message_length", -1), ("grpc.max_receive_message_length", -1)])
    pb_grpc.add_ModelServicer_to_server(_Servicer(model, desc, jobs), server)
    server.add_generic_rpc_handlers((_controller(lambda: jobs.put(None)),))
    sockdir = None
    if hasattr(socket, "AF_UNIX"):
        sockdir = tempfile.mkdtemp(prefix="sweep-plugin-")
        network, address = "unix", os.path.join(sockdir, "plugin.sock")
        server.add_insecure_port("unix:" + address)
    else:
        network, address = "tcp", "127.0.0.1:%d" % server.add_insecure_port("127.0.0.1:0")
    server.start()

    def cleanup() -> None:
        sys.stderr.flush()
        if sockdir:
            shutil.rmtree(sockdir, ignore_errors=True)

    _watch_parent(cleanup)
    sys.stdout.write(f"{_CORE_PROTOCOL}|{_APP_PROTOCOL}|{network}|{address}|grpc|\n")
    sys.stdout.flush()
    # From here on stdout is stderr, for print() and for the output of C
    # extensions alike, so that it reaches the trial's log in order with the
    # marks; go-plugin reads nothing more from stdout.
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    status = _run(jobs)
    server.stop(grace=0.2).wait()
    cleanup()
    # Not sys.exit: the interpreter would wait for gRPC's threads, and a
    # trial's leftover threads, at exit.
    os._exit(status)


def _run(jobs: queue.Queue[Optional[_Job]]) -> int:
    """Runs trials in this (the main) thread until the host says shut down,
    and returns the exit status. A trial that calls sys.exit ends the
    process, as it would end a script; the host then fails that trial."""
    try:
        while (job := jobs.get()) is not None:
            job.run()
        return 0
    except SystemExit as e:
        if e.code is None or isinstance(e.code, int):
            return e.code or 0
        print(e.code, file=sys.stderr)
        return 1
    except BaseException:
        traceback.print_exc()
        return 1


def _watch_parent(cleanup: Callable[[], None]) -> None:
    """Exits the process soon after the host dies (the process is then
    re-parented). Linux's parent-death signal, which the host asks for, does
    this faster; this covers the other systems."""
    parent = os.getppid()
    if parent <= 1:
        return  # already orphaned, or started by init: nothing to watch

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(2 * _POLL)
        cleanup()
        os._exit(3)

    threading.Thread(target=watch, name="sweep-parent-watch", daemon=True).start()


def _controller(shutdown: Callable[[], None]) -> grpc.GenericRpcHandler:
    """go-plugin's plugin.GRPCController/Shutdown (empty request and reply),
    which the host's Close calls, so that a process ends at once rather than
    being killed after go-plugin's 2 s."""
    def handle(request: bytes, context: grpc.ServicerContext) -> bytes:
        shutdown()
        return b""
    return grpc.method_handlers_generic_handler("plugin.GRPCController", {
        "Shutdown": grpc.unary_unary_rpc_method_handler(
            handle, request_deserializer=bytes, response_serializer=bytes)})


class _Servicer(pb_grpc.ModelServicer):
    """The Model service. Its calls run in gRPC's threads; a Train call hands
    its trial to the main thread and streams the trial's events back."""

    def __init__(self, model: Model, desc: pb.Description, jobs: queue.Queue[Optional[_Job]]):
        self._model, self._desc, self._jobs = model, desc, jobs
        self._idle = threading.Condition()
        self._active = 0  # trials handed to the main thread and not finished
        self._marks = 0

    def Describe(self, request: pb.DescribeRequest, context: grpc.ServicerContext) -> pb.Description:
        return self._desc

    def Train(self, request: pb.TrainRequest, context: grpc.ServicerContext):
        try:
            job = _Job(self._model, request, self._finished)
        except ValueError as e:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(e))
        with self._idle:
            self._active += 1
        # The callback runs when the call ends; before the trial has, that is
        # the host cancelling it.
        if not context.add_callback(job.cancel):
            job.cancel()
        self._jobs.put(job)
        for ev in job.events():
            yield pb.TrainEvent(event=ev)
        if job.cancelled:
            return  # the host is not listening; its Wait call gets the mark
        self._mark(context)
        if job.error is not None:
            context.abort(grpc.StatusCode.ABORTED, job.error)
        # The stream ends with one outcome (model.proto). The host computes a
        # trial's results from the events it received; only whether the
        # model stopped early is the model's to say.
        yield pb.TrainEvent(outcome=pb.Outcome(stopped_early=job.trial._stopped_early))

    def Wait(self, request: pb.WaitRequest, context: grpc.ServicerContext) -> pb.WaitReply:
        with self._idle:
            while self._active and context.is_active():
                self._idle.wait(_POLL)
            idle = not self._active
        if idle:
            self._mark(context)
        return pb.WaitReply()

    def _finished(self) -> None:
        with self._idle:
            self._active -= 1
            self._idle.notify_all()

    def _mark(self, context: grpc.ServicerContext) -> None:
        with self._idle:
            self._marks += 1
            n = self._marks
        sys.stderr.write(f"{_MARK_PREFIX}{n}\n")
        sys.stderr.flush()
        context.set_trailing_metadata(((_MARK_TRAILER, str(n)),))


class _Job:
    """One trial: run in the main thread, its events streamed by the Train
    call's thread through a short queue."""

    def __init__(self, model: Model, request: pb.TrainRequest, on_done: Callable[[], None]):
        params = {p.name: list(p.default) if isinstance(p.default, list) else p.default for p in model.params}
        params.update((k, from_value(v)) for k, v in request.params.items())
        spec = json.loads(request.data_json) if request.data_json else {}
        self._model, self._on_done = model, on_done
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=_AHEAD)
        self._stopped = threading.Event()
        self._done = threading.Event()
        self.error: Optional[str] = None
        self.trial = Trial(request.trial_id, params, request.seed, request.histogram_every, request.data_file,
                           spec, list(model.metrics), self._put, self._stopped.is_set,
                           request.checkpoint if request.HasField("checkpoint") else None)

    @property
    def cancelled(self) -> bool:
        return self._stopped.is_set()

    def cancel(self) -> None:
        if not self._done.is_set():
            self._stopped.set()

    def _put(self, item: Any) -> bool:
        """Queues item for the Train call; False if the trial was stopped
        first."""
        while not self._stopped.is_set():
            try:
                self._queue.put(item, timeout=_POLL)
                return True
            except queue.Full:
                pass
        return False

    def events(self):
        """The trial's events, until it ends or is cancelled."""
        while True:
            try:
                item = self._queue.get(timeout=_POLL)
            except queue.Empty:
                if self._stopped.is_set():
                    return
                continue
            if item is _END:
                return
            yield item

    def run(self) -> None:
        """Runs the trial in the calling (main) thread."""
        trial = self.trial
        try:
            if not self._stopped.is_set():  # else cancelled while it waited
                result = self._model.train(trial)
                if result is not None:
                    print(f"sweep_plugin: train returned {result!r}, which is ignored: sweep scores a trial "
                          "from the metrics it reports", file=sys.stderr)
        except Exception as e:
            if isinstance(e, Stopped) and self._stopped.is_set():
                when = "before its first epoch" if trial._last_epoch is None else f"after epoch {trial._last_epoch}"
                print(f"sweep_plugin: sweep stopped trial {trial.id} {when}", file=sys.stderr)
            else:
                traceback.print_exc()
                self.error = _failure(e)
        sys.stderr.flush()
        self._done.set()
        self._put(_END)
        self._on_done()


def _failure(e: BaseException) -> str:
    """The trial's error: the exception's type and message, and where it was
    raised in the model's code (the innermost frame outside Python's and
    the installed packages' files, and this SDK's), e.g.
    "ValueError: lr must be positive (model.py:42 in train)". The traceback
    goes to model.log."""
    frames = traceback.extract_tb(e.__traceback__)
    own = [f for f in frames if not os.path.abspath(f.filename).startswith(_LIBRARY_DIRS)]
    text = type(e).__name__ + (f": {e}" if str(e) else "")
    if own or frames:
        f = (own or frames)[-1]
        text += f" ({os.path.basename(f.filename)}:{f.lineno} in {f.name})"
    return text


def _library_dirs() -> tuple[str, ...]:
    dirs = {sysconfig.get_paths().get(k) for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    dirs.update(getattr(site, "getsitepackages", list)())  # absent in old virtualenvs
    dirs.add(os.path.dirname(os.path.abspath(__file__)))
    return tuple(os.path.join(os.path.abspath(d), "") for d in dirs if d)


_LIBRARY_DIRS = _library_dirs()
