#!/usr/bin/env python3
"""reap-run.py [--max-seconds N] [--grace S] -- cmd args...

Bounded supervisor for rig daemons: becomes a child subreaper, runs cmd, reaps every
descendant (no zombies left for a PID 1 that does not reap), forwards SIGTERM/SIGINT to
cmd, and when cmd ends (or --max-seconds pass) TERMs then KILLs any descendant still
alive, by PID. Exit status = cmd's.
"""
import ctypes, os, signal, sys, time

PR_SET_CHILD_SUBREAPER = 36


def descendants(root):
    kids = {}
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open("/proc/%s/stat" % p) as f:
                    st = f.read()
                ppid = int(st[st.rfind(")") + 2:].split()[1])
                kids.setdefault(ppid, []).append(int(p))
            except Exception:
                pass
    out, todo = [], [root]
    while todo:
        for c in kids.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def main():
    a = sys.argv[1:]
    max_s, grace = 900.0, 3.0
    while a and a[0] != "--":
        if a[0] == "--max-seconds":
            max_s = float(a[1]); a = a[2:]
        elif a[0] == "--grace":
            grace = float(a[1]); a = a[2:]
        else:
            sys.exit("bad arg " + a[0])
    cmd = a[1:]
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    child = os.fork()
    if child == 0:
        os.setpgid(0, 0)
        os.execvp(cmd[0], cmd)
    stop = {"at": None}

    def on_sig(sig, _f):
        if stop["at"] is None:
            stop["at"] = time.time()
        try:
            os.kill(child, signal.SIGTERM)
        except ProcessLookupError:
            pass
    signal.signal(signal.SIGTERM, on_sig)
    signal.signal(signal.SIGINT, on_sig)
    deadline = time.time() + max_s
    status = None
    while True:
        try:
            pid, st = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == child:
            status = os.waitstatus_to_exitcode(st)
            break
        if pid == 0:
            if time.time() > deadline and stop["at"] is None:
                on_sig(signal.SIGTERM, None)
            if stop["at"] and time.time() > stop["at"] + grace:
                try:
                    os.kill(child, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.05)
    # main command gone: end what it left behind, by PID, then reap it
    left = descendants(os.getpid())
    for p in left:
        try: os.kill(p, signal.SIGTERM)
        except ProcessLookupError: pass
    end = time.time() + grace
    while time.time() < end and descendants(os.getpid()):
        try:
            os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        time.sleep(0.05)
    for p in descendants(os.getpid()):
        try: os.kill(p, signal.SIGKILL)
        except ProcessLookupError: pass
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            break
    sys.exit(status if status is not None else 1)


main()
