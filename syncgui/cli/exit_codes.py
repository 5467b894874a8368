"""The exit codes of syncgui-cli, one per outcome a script may act on."""

from __future__ import annotations

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CONFLICTS, EXIT_BLOCKED = 0, 1, 2, 3, 4
EXIT_PIPE_CLOSED = 141  # 128 + SIGPIPE: what a shell reports for ls or git cut short
