"""Wake-up cost on this VM against how long the target vCPU has idled (the evidence for
MachineCosts' `halt_poll`, `wake_idle`, `wake_halted`, `wake_halted_waker`).

Thread B, pinned to CPU 1, blocks on a lock; thread A, pinned to CPU 0, spins for `gap` µs
(so CPU 1 idles that long), then releases the lock (`sem_post`: a futex wake). Prints, per gap,
the median and p90 of A's `release()` and of the time until B runs. Run:
    python3 src/calibrate/wake_probe.py [GAP_US ...]
Measured 2026-12-02 (2-vCPU VM, Linux 6.18, CPython 3.11.7), builds paused:
    idle  100 us: release() median 4.9 us | wakee runs after  11.1 us
    idle  150 us: release() median 5.4 us | wakee runs after  12.3 us
    idle  200 us: release() median 48.1 us | wakee runs after 115.6 us
    idle  500 us: release() median 52.6 us | wakee runs after 120.9 us
"""
import os, sys, threading, time, statistics
sys.setswitchinterval(1.0)
gaps=[int(x) for x in sys.argv[1:]] or [20,50,100,150,200,300,500,1000,3000]
lock=threading.Lock(); done=threading.Lock(); out=[0]
def b():
    os.sched_setaffinity(0,{1})
    while True:
        lock.acquire(); out[0]=time.perf_counter_ns(); done.release()
os.sched_setaffinity(0,{0})
lock.acquire(); done.acquire()
threading.Thread(target=b,daemon=True).start()
time.sleep(0.05)
for gap in gaps:
    rel=[];lat=[]
    for i in range(300):
        t=time.perf_counter_ns()+gap*1000
        while time.perf_counter_ns()<t: pass
        t0=time.perf_counter_ns(); lock.release(); t1=time.perf_counter_ns()
        done.acquire()
        rel.append(t1-t0); lat.append(out[0]-t0)
    print('idle %5d us: release() median %6.1f us p90 %6.1f | wakee runs after %6.1f us p90 %6.1f'%(gap, statistics.median(rel)/1e3, statistics.quantiles(rel,n=10)[-1]/1e3, statistics.median(lat)/1e3, statistics.quantiles(lat,n=10)[-1]/1e3))
