# Threads, signals, timers and faulthandler in CPython; prints only
# deterministic results.
import faulthandler, os, queue, signal, sys, tempfile, threading, time

# 8 threads, a Queue and an Event.
q, done = queue.Queue(), threading.Event()
results = []
lock = threading.Lock()

def worker(n):
    done.wait()
    while True:
        item = q.get()
        if item is None:
            break
        with lock:
            results.append(item * item)

threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
for t in threads:
    t.start()
for i in range(1000):
    q.put(i)
for _ in threads:
    q.put(None)
done.set()
for t in threads:
    t.join()
print("threads:", len(results), sum(results), threading.active_count())

# signal.signal(SIGALRM) with setitimer.
ticks = []
signal.signal(signal.SIGALRM, lambda s, f: ticks.append(s))
signal.setitimer(signal.ITIMER_REAL, 0.01, 0.01)
while len(ticks) < 5:
    time.sleep(0.001)
signal.setitimer(signal.ITIMER_REAL, 0)
print("itimer ticks:", len(ticks) >= 5, set(ticks) == {signal.SIGALRM})

# time.sleep interrupted by a handler goes on sleeping (PEP 475).
interrupted = []
signal.signal(signal.SIGALRM, lambda s, f: interrupted.append(time.monotonic()))
signal.setitimer(signal.ITIMER_REAL, 0.05)
start = time.monotonic()
time.sleep(0.2)
elapsed = time.monotonic() - start
print("sleep resumed after the handler:", len(interrupted) == 1, elapsed >= 0.19)

# A handler's exception ends the sleep.
def boom(s, f):
    raise KeyboardInterrupt
signal.signal(signal.SIGALRM, boom)
signal.setitimer(signal.ITIMER_REAL, 0.02)
try:
    time.sleep(5)
    print("sleep not interrupted")
except KeyboardInterrupt:
    print("handler exception ended the sleep")

# signal.pthread_kill and sigwait.
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
signal.pthread_kill(threading.get_ident(), signal.SIGUSR1)
print("sigwait:", signal.sigwait({signal.SIGUSR1}) == signal.SIGUSR1)
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGUSR1})

# faulthandler: enabled, and a traceback of this thread.
with tempfile.TemporaryFile() as f:
    faulthandler.enable(file=f)
    print("faulthandler enabled:", faulthandler.is_enabled())
    faulthandler.dump_traceback(file=f, all_threads=False)
    f.seek(0)
    text = f.read().decode()
    print("traceback mentions this file:", os.path.basename(__file__) in text)
    faulthandler.disable()
