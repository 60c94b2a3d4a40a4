"""One address in front of two fake servers: a hub repository's requests on one, the code
repository on the other (DESIGN "Builds at scale"), as one GitHub or GitLab serves both.

Each fake serves one repository; the proxy sends a request to the fake whose repository its
path names and rewrites the fakes' own addresses in answers (bodies and `Link` headers) to
its own, so the client sees one server. Stdlib only, like the fakes.
"""

from __future__ import annotations

import http.client
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding"}


@contextmanager
def proxy(routes: Sequence[tuple[str, str]], default: str) -> Iterator[str]:
    """Serve until the block ends; yield the proxy's root URL. `routes`: (path regex, upstream
    root URL), the first match wins; other paths go to `default`."""
    upstreams = [(re.compile(pattern), root.rstrip("/")) for pattern, root in routes]
    roots = sorted({root for _, root in upstreams} | {default.rstrip("/")}, key=len, reverse=True)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: object) -> None:
            pass

        def _forward(self) -> None:
            root = next((r for p, r in upstreams if p.search(self.path)), default.rstrip("/"))
            parts = urlsplit(root)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP | {"host"}}
            conn.request(self.command, self.path, body=body, headers=headers)
            answer = conn.getresponse()
            data = answer.read()
            own = f"http://{self.server.server_address[0]}:{self.server.server_address[1]}"
            for upstream in roots:
                data = data.replace(upstream.encode(), own.encode())
            self.send_response(answer.status)
            for key, value in answer.getheaders():
                if key.lower() not in _HOP:
                    for upstream in roots:
                        value = value.replace(upstream, own)
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            conn.close()

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = _forward

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
