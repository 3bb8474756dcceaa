"""The embedded Celery broker: kombu's filesystem transport, made safe across processes.

kombu's own transport (upstream kombu#1551) creates a message file and only then writes it,
while its reader renames and reads any `*.msg` file without the writer's lock: a reader can
take a created-but-empty file (the worker dies on a JSONDecodeError) and the writer then writes
into a file nobody reads. The settings map `filesystem://` to this transport, which keeps the
same folders and file names but:

* writes each message under a temporary name in `<queue folder>/.tmp/` and renames it into the
  queue folder (`os.replace`, atomic on one filesystem): a reader only ever sees whole files;
* names each file `<time_ns>_<pid>_<counter>.<queue>.msg`, so files sort by one clock shared by
  every process, then uniquely;
* reads a file, then claims it by deleting it: of two readers only one delete succeeds, and a
  file gone between the listing and the read or the delete was taken by another consumer;
* moves a file that is not a message (written by something else) to `<queue folder>/corrupt/`
  with an error in the log, instead of letting it kill the worker;
* creates an exchange's binding table whole (the stock one is created empty, then written, and
  a publisher reading it in between fails the same way).
"""

from __future__ import annotations

import itertools
import logging
import os
import time
from pathlib import Path
from queue import Empty
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem, virtual
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

logger = logging.getLogger(__name__)
_counter = itertools.count()


def _unique_name(suffix: str) -> str:
    """`<time_ns>_<pid>_<counter><suffix>`: sorts by time across processes, never repeats."""
    return f"{time.time_ns():020d}_{os.getpid()}_{next(_counter):09d}{suffix}"


class Channel(filesystem.Channel):
    def _put(self, queue: str, payload: dict[str, Any], **kwargs: Any) -> None:  # type: ignore[override]
        """Write the message beside the queue, then rename it in: it appears whole or not at all."""
        folder = Path(self.data_folder_out)
        name = _unique_name(f".{queue}.msg")
        temporary = folder / ".tmp" / name
        try:
            temporary.parent.mkdir(exist_ok=True)
            with open(temporary, "xb") as file:
                file.write(str_to_bytes(dumps(payload)))
            os.replace(temporary, folder / name)
        except OSError as exc:
            raise ChannelError(f"Cannot add message {name!r} to {folder}") from exc

    def _get(self, queue: str) -> dict[str, Any]:  # type: ignore[override]
        """The oldest whole message of `queue`, claimed by this reader alone."""
        folder = Path(self.data_folder_in)
        wanted = f"{queue}.msg"
        for name in sorted(n for n in os.listdir(folder) if n.partition(".")[2] == wanted):
            path = folder / name
            try:
                payload = path.read_bytes()
            except FileNotFoundError:
                continue  # another consumer took it
            message = _message(payload)
            if message is None:
                self._set_aside(path)
            elif self._claim(path):
                return message
        raise Empty()

    def _claim(self, path: Path) -> bool:
        """Take the file out of the queue; False when another consumer took it first."""
        try:
            if self.store_processed:
                os.rename(path, Path(self.processed_folder) / path.name)
            else:
                path.unlink()
        except FileNotFoundError:
            return False
        return True

    def _set_aside(self, path: Path) -> None:
        corrupt = path.parent / "corrupt"
        corrupt.mkdir(exist_ok=True)
        try:
            os.rename(path, corrupt / path.name)
        except FileNotFoundError:
            return  # another consumer set it aside
        logger.error("Broker file %s is not a message; moved it to %s", path.name, corrupt)

    def _queue_bind(self, exchange: str, routing_key: str, pattern: str | None, queue: str) -> None:
        """Create the exchange's table whole if it is missing, then bind as kombu does."""
        table: Path = self._exchange_file(exchange)  # type: ignore[attr-defined]
        if not table.exists():
            self.control_folder.mkdir(parents=True, exist_ok=True)
            temporary = table.with_name(_unique_name(".tmp"))
            temporary.write_bytes(str_to_bytes(dumps([])))
            try:
                os.link(temporary, table)  # fails if another process created it meanwhile
            except FileExistsError:
                pass
            finally:
                temporary.unlink()
        super()._queue_bind(exchange, routing_key, pattern, queue)


def _message(payload: bytes) -> dict[str, Any] | None:
    try:
        message = loads(bytes_to_str(payload))
    except ValueError:
        return None
    return message if isinstance(message, dict) else None


class Transport(filesystem.Transport):
    Channel = Channel
    # Not kombu's: its state (declared exchanges) must not be shared with the stock transport.
    global_state = virtual.BrokerState()
