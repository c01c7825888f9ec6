# Processes from Python: subprocess, os.fork, os.pipe, multiprocessing.
import multiprocessing
import os
import signal
import subprocess
import sys


def square(x):
    return x * x


def main():
    r = subprocess.run(["/bin/echo", "hi", "there"], capture_output=True)
    print("run:", r.returncode, r.stdout, r.stderr)
    r = subprocess.run("echo err >&2; exit 3", shell=True, capture_output=True, text=True)
    print("shell:", r.returncode, repr(r.stdout), repr(r.stderr))
    out = subprocess.check_output(["sort"], input=b"b\na\nc\n")
    print("stdin piped:", out)
    p = subprocess.Popen(["sleep", "10"])
    p.send_signal(signal.SIGTERM)
    print("terminated:", p.wait())
    try:
        subprocess.run(["/nonexistent/program"])
    except FileNotFoundError as e:
        print("missing program:", e.errno)
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(rfd)
        os.write(wfd, b"from child, parent is %s" % (b"right" if os.getppid() == parent else b"wrong"))
        os._exit(5)
    os.close(wfd)
    data = os.read(rfd, 100)
    wpid, status = os.waitpid(pid, 0)
    print("fork:", wpid == pid, os.WEXITSTATUS(status), data)
    with multiprocessing.Pool(2) as pool:
        print("pool:", pool.map(square, range(10)))
    q = multiprocessing.Queue()
    pr = multiprocessing.Process(target=q.put, args=("through a queue",))
    pr.start()
    print("process:", q.get())
    pr.join()
    print("exitcode:", pr.exitcode)


parent = os.getpid()
if __name__ == "__main__":
    main()
