"""Decoding in a child process, so that a crash in Kaldi ends that child, not the job.

A Kaldi assertion aborts the process that runs it, and a recording that exhausts memory
takes its process down; either would kill a job-queue worker (and the job's lease and
bookkeeping with it). :class:`IsolatedDecoder` keeps one child process per worker, which
loads each model once and decodes on request; when the child dies or overruns its time,
the caller gets :class:`DecoderCrashed` or :class:`DecoderTimedOut` and the next request
starts a fresh child.

The child speaks length-prefixed pickles over its stdin and stdout. Both ends are this
module, in processes of the same user: nothing else writes to the pipes.
"""

from __future__ import annotations

import os
import pickle
import signal
import struct
import subprocess
import sys
from typing import IO, Any

from transcription.audio import Pcm
from transcription.engine import Transcription
from transcription.registry import ResolvedModel

HEADER = struct.Struct("!I")


class DecoderFailed(Exception):
    """The decoder could not produce a transcript for this recording."""


class DecoderCrashed(DecoderFailed):
    """The decoding process died (a signal or an exit) before it answered."""

    def __init__(self, returncode: int | None) -> None:
        self.returncode = returncode
        if returncode is not None and returncode < 0:
            try:
                how = f"killed by {signal.Signals(-returncode).name}"
            except ValueError:
                how = f"killed by signal {-returncode}"
        else:
            how = f"exited with status {returncode}"
        super().__init__(f"the decoder process {how}")


class DecoderTimedOut(DecoderFailed):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"the decoder took longer than {seconds:.0f} s and was stopped")


class DecoderError(DecoderFailed):
    """The decoder answered with an error (e.g. the model would not load)."""


def _send(stream: IO[bytes], message: Any) -> None:
    body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(HEADER.pack(len(body)) + body)
    stream.flush()


def _receive(stream: IO[bytes]) -> Any:
    header = stream.read(HEADER.size)
    if len(header) < HEADER.size:
        raise EOFError
    (size,) = HEADER.unpack(header)
    body = stream.read(size)
    if len(body) < size:
        raise EOFError
    return pickle.loads(body)


class IsolatedDecoder:
    """One decoding child process, started on first use and again after a failure."""

    def __init__(self) -> None:
        self._child: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._child.pid if self._child is not None else None

    def _start(self) -> subprocess.Popen[bytes]:
        if self._child is not None and self._child.poll() is None:
            return self._child
        command = [sys.executable, "-m", "transcription.isolated"]
        self._child = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True
        )
        return self._child

    def transcribe(self, pcm: Pcm, resolved: ResolvedModel, timeout: float) -> Transcription:
        """Decode in the child; raises a :class:`DecoderFailed` instead of dying."""
        import selectors

        child = self._start()
        assert child.stdin is not None and child.stdout is not None
        try:
            _send(child.stdin, (pcm, resolved))
        except (BrokenPipeError, OSError):
            raise DecoderCrashed(self._reap()) from None
        with selectors.DefaultSelector() as selector:
            selector.register(child.stdout, selectors.EVENT_READ)
            if not selector.select(timeout):
                self.close()
                raise DecoderTimedOut(timeout)
        try:
            status, payload = _receive(child.stdout)
        except (EOFError, OSError, pickle.UnpicklingError):
            raise DecoderCrashed(self._reap()) from None
        if status != "ok":
            raise DecoderError(payload)
        return payload  # type: ignore[no-any-return]

    def _reap(self) -> int | None:
        child, self._child = self._child, None
        if child is None:
            return None
        try:
            return child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            child.kill()
            return child.wait()

    def close(self) -> None:
        """Stop the child at once (it may be in the middle of a decode)."""
        child = self._child
        if child is not None and child.poll() is None:
            child.kill()
        self._reap()


def serve(requests: IO[bytes], answers: IO[bytes]) -> None:
    """The child's loop: decode each request, answer, until the parent closes the pipe."""
    from transcription.engine import transcribe

    while True:
        try:
            pcm, resolved = _receive(requests)
        except EOFError:
            return
        try:
            answer = ("ok", transcribe(pcm, resolved))
        except Exception as exc:  # reported to the parent, which records it on the ticket
            answer = ("error", f"{type(exc).__name__}: {exc}")
        _send(answers, answer)


# Decoding is background work: on a machine that also answers webhooks, a decoder must
# never take the CPU from a process a caller is waiting on.
DECODER_NICENESS = 10


def main() -> None:
    os.nice(DECODER_NICENESS)
    # The protocol owns the real stdout; anything a library prints goes to stderr.
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    serve(sys.stdin.buffer, answers)


if __name__ == "__main__":
    main()
