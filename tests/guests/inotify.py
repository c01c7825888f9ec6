"""inotify from Python through ctypes, as inotify_simple and watchdog use
it: a non-blocking instance, a directory watch, poll readiness, and the
events of writing, renaming and deleting a file, decoded with struct."""
import ctypes
import os
import select
import struct
import tempfile

libc = ctypes.CDLL(None, use_errno=True)
IN_MODIFY, IN_CLOSE_WRITE, IN_MOVED_FROM, IN_MOVED_TO = 0x2, 0x8, 0x40, 0x80
IN_CREATE, IN_DELETE = 0x100, 0x200

fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
print("instance:", fd >= 0)
d = tempfile.mkdtemp()
mask = IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO
print("watch:", libc.inotify_add_watch(fd, d.encode(), mask))
r = libc.inotify_add_watch(fd, b"/nonexistent/x", IN_CREATE)
print("missing:", r, os.strerror(ctypes.get_errno()))
p = select.poll()
p.register(fd, select.POLLIN)
print("ready before:", p.poll(0))
with open(os.path.join(d, "x"), "w") as f:
    f.write("hi")
os.rename(os.path.join(d, "x"), os.path.join(d, "y"))
os.unlink(os.path.join(d, "y"))
print("ready after:", p.poll(1000))
data = os.read(fd, 4096)
off = 0
cookies = []
while off < len(data):
    wd, m, cookie, n = struct.unpack_from("iIII", data, off)
    name = data[off + 16:off + 16 + n].rstrip(b"\0").decode()
    if cookie:
        cookies.append(cookie)
    print(wd, hex(m), name)
    off += 16 + n
print("move cookies equal:", len(cookies) == 2 and cookies[0] == cookies[1])
try:
    os.read(fd, 4096)
except BlockingIOError:
    print("then EAGAIN")
os.close(fd)
os.rmdir(d)
