"""Worker threads as agents make them: 8 threads each fetch URL over HTTP
(TCP, the name resolved in the thread) and send one UDP datagram to the
same host and port through a connected UDP socket, waiting for its echo.
Prints "tcp N/8 udp N/8 first-error"; exit 0 when all 16 worked."""
import socket, sys, threading, urllib.parse, urllib.request

url = sys.argv[1]
u = urllib.parse.urlsplit(url)
res = {"tcp": 0, "udp": 0}
errors = []
lock = threading.Lock()


def work(i):
    try:
        if urllib.request.urlopen(url, timeout=20).read():
            with lock:
                res["tcp"] += 1
    except Exception as e:
        errors.append("tcp: %r" % e)
    try:
        fam, typ, proto, _, addr = socket.getaddrinfo(u.hostname, u.port, type=socket.SOCK_DGRAM)[0]
        s = socket.socket(fam, typ, proto)
        s.settimeout(10)
        s.connect(addr)
        s.send(b"thread %d" % i)
        if s.recv(100) == b"thread %d" % i:
            with lock:
                res["udp"] += 1
    except Exception as e:
        errors.append("udp: %r" % e)


ts = [threading.Thread(target=work, args=(i,)) for i in range(8)]
[t.start() for t in ts]
[t.join() for t in ts]
print("tcp %d/8 udp %d/8 %s" % (res["tcp"], res["udp"], errors[0] if errors else ""))
sys.exit(0 if res["tcp"] == 8 and res["udp"] == 8 else 1)
