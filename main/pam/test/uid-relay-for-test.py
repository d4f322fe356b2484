# TEST ONLY, never shipped: a byte relay that makes the helper's socket peer another uid.
# Run under `setpriv --reuid=… --regid=… --clear-groups`: it listens on LISTEN_PATH (mode
# 0666), and for each connection opens its own connection to TARGET_PATH, so the helper's
# SO_PEERCRED is this process's uid, then copies bytes both ways, passing each end of stream
# on (shutdown SHUT_WR) so the frame stream is what the client sent. Prints "ready" once
# listening.
import os
import socket
import sys
import threading

listen_path, target_path = sys.argv[1], sys.argv[2]


def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def serve(client):
    upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        upstream.connect(target_path)
    except OSError:
        client.close()
        return
    threads = [
        threading.Thread(target=pump, args=(client, upstream)),
        threading.Thread(target=pump, args=(upstream, client)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    client.close()
    upstream.close()


server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(listen_path)
os.chmod(listen_path, 0o666)
server.listen(16)
print("ready", flush=True)
while True:
    conn, _ = server.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
