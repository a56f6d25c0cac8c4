"""A small package host for tests/seccomp/test_agent_net.sh: HTTP and UDP echo
on one port of every loopback address (IPv4 and IPv6), and an npm registry
serving one package, left-pad 1.3.0, built here.

    python3 server.py PORTFILE HOSTNAME LOG

Writes the port to PORTFILE once listening; each request is one line in LOG."""
import base64, hashlib, http.server, io, json, socket, sys, tarfile, threading

portfile, hostname, logpath = sys.argv[1:4]
log = open(logpath, "a", buffering=1)


def tarball():
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        for name, text in (("package/package.json", json.dumps({"name": "left-pad", "version": "1.3.0",
                                                                 "main": "index.js"})),
                           ("package/index.js", "module.exports = (s, n, c) => String(s).padStart(n, c || ' ');\n")):
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


TGZ = tarball()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def reply(self, body, ctype="text/plain"):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        log.write("http %s\n" % self.path)
        port = self.server.server_address[1]
        if self.path.startswith("/left-pad/-/"):
            return self.reply(TGZ, "application/octet-stream")
        if self.path.rstrip("/") == "/left-pad":
            url = "http://%s:%d/left-pad/-/left-pad-1.3.0.tgz" % (hostname, port)
            doc = {"name": "left-pad", "dist-tags": {"latest": "1.3.0"}, "versions": {"1.3.0": {
                "name": "left-pad", "version": "1.3.0", "main": "index.js",
                "dist": {"tarball": url, "shasum": hashlib.sha1(TGZ).hexdigest(),
                         "integrity": "sha512-" + base64.b64encode(hashlib.sha512(TGZ).digest()).decode()}}}}
            return self.reply(json.dumps(doc).encode(), "application/json")
        self.reply(b"ok\n")

    def log_message(self, *a):
        pass


class DualStack(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6
    daemon_threads = True

    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()


httpd = DualStack(("::", 0), Handler)
port = httpd.server_address[1]
udp = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
udp.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
udp.bind(("::", port))


def echo():
    while True:
        data, peer = udp.recvfrom(2048)
        log.write("udp %s\n" % data.decode(errors="replace"))
        udp.sendto(data, peer)


threading.Thread(target=echo, daemon=True).start()
open(portfile, "w").write(str(port))
httpd.serve_forever()
