"""The CardDAV tests' servers (see :mod:`tests.carddav.servers`)."""

from tests.carddav.servers import book, radicale, radicale_auth, server, xandikos

__all__ = ["book", "radicale", "radicale_auth", "server", "xandikos"]
