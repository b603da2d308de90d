"""kombu's file-system transport, with each message written whole before it can be taken.

kombu creates a message's file under its final name and then writes it, so a worker polling
the folder can move and read it while it is still empty: its consumer then dies on the empty
JSON ("Expecting value") and the worker takes no task again. Here a message is written under
a name the queue does not match and renamed into place (atomic on one file system).
"""

from __future__ import annotations

import os
import uuid
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue: Any, payload: Any, **kwargs: Any) -> None:  # type: ignore[override]
        final = os.path.join(
            self.data_folder_out, f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        )
        # A leading dot: `_get` takes only names whose part after the first dot is "<queue>.msg".
        partial = os.path.join(self.data_folder_out, f".partial-{uuid.uuid4().hex}")
        try:
            with open(partial, "wb") as f:
                f.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel
