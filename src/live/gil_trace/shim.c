/*
 * execsim's live GIL trace: an LD_PRELOAD library that records, per thread, every call CPython
 * makes to take and drop its GIL, and the blocking calls around them, with CLOCK_MONOTONIC
 * nanosecond timestamps (the clock of Python's time.monotonic_ns).
 *
 * Why interposition works: CPython 3.11 implements the GIL (Python/ceval_gil.h) with a pthread
 * mutex and condition variables (Python/condvar.h: PyCOND_TIMEDWAIT is pthread_cond_timedwait on
 * a CLOCK_MONOTONIC condvar, PyCOND_SIGNAL is pthread_cond_signal, PyMUTEX_LOCK is
 * pthread_mutex_lock), called through the PLT, so a preloaded definition runs instead of glibc's
 * and then calls glibc's (dlsym(RTLD_NEXT)). Nothing in CPython changes.
 *
 * Which condition variable is the GIL's: the only pthread_cond_timedwait caller in CPython 3.11
 * is take_gil (threading's locks are semaphores: sem_clockwait). The first timed wait whose mutex
 * sits right after its condvar in memory is taken as `gil->cond`; struct _gil_runtime_state
 * (Include/internal/pycore_gil.h, 3.11, x86-64) then gives the rest:
 *     interval @-32, last_holder @-24, locked @-16, switch_number @-8, cond @0 (48 bytes),
 *     mutex @+48 (40 bytes), switch_cond @+88 (48 bytes), switch_mutex @+136.
 * take_gil ends with COND_SIGNAL(gil->switch_cond) (FORCE_SWITCHING): that signal marks an
 * acquisition; drop_gil does COND_SIGNAL(gil->cond) after `locked = 0`: a release. A timed wait
 * returning ETIMEDOUT with the GIL still locked and switch_number unchanged since its start is
 * exactly the case where take_gil sets the drop request. All of these run with gil->mutex held,
 * so the fields read here are the ones CPython's own code reads.
 *
 * Output: one file per process, DIR/gil-PID.bin (DIR from EXECSIM_GIL_TRACE_DIR), a 64-byte
 * header and fixed 32-byte records, written through a shared file mapping so that the records
 * survive the process being killed with SIGKILL (execsim ends a run that way). A forked child
 * (process-pool worker) starts a file of its own. When the file is full, records are counted as
 * dropped, never blocking the traced program. The file holds EXECSIM_GIL_TRACE_RECORDS records
 * (default 4 Mi, 128 MiB of sparse file; only the pages written take space).
 *
 * Safety checks: a timed wait is taken for the GIL's only if, besides the mutex placement, the
 * GIL is locked at the wait (take_gil waits only then) and, when EXECSIM_GIL_INTERVAL_US is set,
 * `interval` holds that switch interval. glibc's condition-variable functions are looked up at
 * their current version (GLIBC_2.3.2 on x86-64; dlsym's default otherwise): the old
 * GLIBC_2.2.5 ones expect another condvar layout.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Record kinds (keep in step with src/live/gil_trace/record.rs). */
enum {
    K_TIMEDWAIT_ENTER = 1, /* a: switch_number, b: locked */
    K_TIMEDWAIT_EXIT = 2,  /* a: switch_number, b: bit0 timed out, bit1 locked */
    K_ACQUIRE = 3,         /* signal(switch_cond) in take_gil. a: switch_number, b: last_holder */
    K_RELEASE = 4,         /* signal(gil->cond) in drop_gil. a: switch_number */
    K_SWITCH_WAIT_ENTER = 5, /* cond_wait(switch_cond) in drop_gil (forced switch) */
    K_SWITCH_WAIT_EXIT = 6,
    K_GIL_MUTEX_LOCK = 7,  /* lock(gil->mutex): start of take_gil or drop_gil */
    K_CALL_ENTER = 8,      /* a: which call (CALL_*), b: fd or 0 */
    K_CALL_EXIT = 9,       /* a: which call, b: return value */
};

enum {
    CALL_SEND = 1, CALL_RECV, CALL_SENDTO, CALL_RECVFROM, CALL_EPOLL_WAIT, CALL_READ, CALL_WRITE,
    CALL_SEM_WAIT, CALL_SEM_TIMEDWAIT, CALL_SEM_CLOCKWAIT, CALL_SEM_POST, CALL_SELECT, CALL_POLL,
};

struct record {
    uint64_t t;
    uint32_t tid;
    uint16_t kind;
    uint16_t flags;
    uint64_t a;
    uint64_t b;
};

struct header {
    char magic[8];          /* "EXGILTR1" */
    uint32_t record_size;   /* 32 */
    uint32_t pid;
    uint64_t capacity;      /* records */
    _Atomic uint64_t next;  /* records claimed (may exceed capacity: the excess is dropped) */
    uint64_t gil_cond;      /* address of gil->cond once known */
    uint64_t start_ns;      /* CLOCK_MONOTONIC at open */
    uint64_t reserved[2];
};

#define DEFAULT_CAPACITY (4u << 20) /* 4 Mi records, 128 MiB sparse */
#define MAX_CAPACITY (256u << 20)   /* 8 GiB sparse at most */

static struct header *hdr;
static struct record *recs;
static _Atomic uintptr_t gil_cond;
static __thread uint32_t my_tid;

static int (*real_timedwait)(pthread_cond_t *, pthread_mutex_t *, const struct timespec *);
static int (*real_cond_wait)(pthread_cond_t *, pthread_mutex_t *);
static int (*real_cond_signal)(pthread_cond_t *);
static int (*real_mutex_lock)(pthread_mutex_t *);
static ssize_t (*real_send)(int, const void *, size_t, int);
static ssize_t (*real_recv)(int, void *, size_t, int);
static ssize_t (*real_sendto)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
static ssize_t (*real_recvfrom)(int, void *, size_t, int, struct sockaddr *, socklen_t *);
static int (*real_epoll_wait)(int, struct epoll_event *, int, int);
static ssize_t (*real_read)(int, void *, size_t);
static ssize_t (*real_write)(int, const void *, size_t);
static int (*real_sem_wait)(sem_t *);
static int (*real_sem_timedwait)(sem_t *, const struct timespec *);
static int (*real_sem_clockwait)(sem_t *, clockid_t, const struct timespec *);
static int (*real_sem_post)(sem_t *);
static int (*real_poll)(struct pollfd *, nfds_t, int);

/* The next definition of a condvar function, at glibc's current version when it has one. */
static void *next_cond_fn(const char *name) {
    void *f = dlvsym(RTLD_NEXT, name, "GLIBC_2.3.2");
    return f != NULL ? f : dlsym(RTLD_NEXT, name);
}

static void resolve(void) {
    real_timedwait = next_cond_fn("pthread_cond_timedwait");
    real_cond_wait = next_cond_fn("pthread_cond_wait");
    real_cond_signal = next_cond_fn("pthread_cond_signal");
    real_mutex_lock = dlsym(RTLD_NEXT, "pthread_mutex_lock");
    real_send = dlsym(RTLD_NEXT, "send");
    real_recv = dlsym(RTLD_NEXT, "recv");
    real_sendto = dlsym(RTLD_NEXT, "sendto");
    real_recvfrom = dlsym(RTLD_NEXT, "recvfrom");
    real_epoll_wait = dlsym(RTLD_NEXT, "epoll_wait");
    real_read = dlsym(RTLD_NEXT, "read");
    real_write = dlsym(RTLD_NEXT, "write");
    real_sem_wait = dlsym(RTLD_NEXT, "sem_wait");
    real_sem_timedwait = dlsym(RTLD_NEXT, "sem_timedwait");
    real_sem_clockwait = dlsym(RTLD_NEXT, "sem_clockwait");
    real_sem_post = dlsym(RTLD_NEXT, "sem_post");
    real_poll = dlsym(RTLD_NEXT, "poll");
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Opens DIR/gil-PID.bin as a shared mapping; on any failure, tracing stays off. */
static void open_trace(void) {
    hdr = NULL;
    recs = NULL;
    const char *dir = getenv("EXECSIM_GIL_TRACE_DIR");
    if (dir == NULL || dir[0] == '\0') return;
    char path[4096];
    int pid = (int)getpid();
    if (snprintf(path, sizeof path, "%s/gil-%d.bin", dir, pid) >= (int)sizeof path) return;
    uint64_t capacity = DEFAULT_CAPACITY;
    const char *cap = getenv("EXECSIM_GIL_TRACE_RECORDS");
    if (cap != NULL && cap[0] != '\0') {
        unsigned long long v = strtoull(cap, NULL, 10);
        if (v > 0) capacity = v < MAX_CAPACITY ? v : MAX_CAPACITY;
    }
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return;
    size_t size = sizeof(struct header) + (size_t)capacity * sizeof(struct record);
    if (ftruncate(fd, (off_t)size) != 0) {
        close(fd);
        return;
    }
    void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (m == MAP_FAILED) return;
    struct header *h = m;
    memcpy(h->magic, "EXGILTR1", 8);
    h->record_size = sizeof(struct record);
    h->pid = (uint32_t)pid;
    h->capacity = capacity;
    atomic_store(&h->next, 0);
    h->gil_cond = 0;
    h->start_ns = now_ns();
    recs = (struct record *)(h + 1);
    hdr = h;
}

static void after_fork_child(void) {
    my_tid = 0;
    /* The parent's mapping stays mapped (shared with the parent): leave it, and start a file of
       our own if the GIL is already known (a forked process-pool worker inherits its address). */
    uintptr_t g = atomic_load(&gil_cond);
    hdr = NULL;
    recs = NULL;
    if (g == 0) return;
    open_trace();
    if (hdr != NULL) {
        atomic_store(&gil_cond, g);
        hdr->gil_cond = g;
    }
}

__attribute__((constructor)) static void init(void) {
    resolve();
    pthread_atfork(NULL, NULL, after_fork_child);
}

static inline void emit(uint16_t kind, uint16_t flags, uint64_t a, uint64_t b) {
    struct header *h = hdr;
    if (h == NULL) return;
    uint64_t i = atomic_fetch_add_explicit(&h->next, 1, memory_order_relaxed);
    if (i >= h->capacity) return;
    if (my_tid == 0) my_tid = (uint32_t)syscall(SYS_gettid);
    struct record *r = &recs[i];
    r->tid = my_tid;
    r->kind = kind;
    r->flags = flags;
    r->a = a;
    r->b = b;
    /* Written last, with release order: a reader treats t == 0 as a record still being written
       (the process may be killed between the two stores). */
    __atomic_store_n(&r->t, now_ns(), __ATOMIC_RELEASE);
}

#define FIELD(cond, off, type) (*(volatile type *)((char *)(cond) + (off)))

/* EXECSIM_GIL_INTERVAL_US, or 0 (no check). */
static unsigned long expected_interval(void) {
    const char *v = getenv("EXECSIM_GIL_INTERVAL_US");
    return (v != NULL && v[0] != '\0') ? strtoul(v, NULL, 10) : 0;
}

/* Whether (c, m) looks like take_gil's wait on `gil->cond` (see the header comment). */
static int looks_like_gil(pthread_cond_t *c, pthread_mutex_t *m) {
    if ((uintptr_t)m != (uintptr_t)c + 48 || FIELD(c, -16, int) != 1) return 0;
    unsigned long want = expected_interval();
    return want == 0 || FIELD(c, -32, unsigned long) == want;
}

int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *abs) {
    if (real_timedwait == NULL) resolve();
    uintptr_t g = atomic_load_explicit(&gil_cond, memory_order_relaxed);
    if (g == 0 && looks_like_gil(c, m)) {
        /* The file is opened when the GIL is found, so processes that never contend for a GIL
           (shells, execsim itself) leave no file. Only the thread that finds it opens it. */
        uintptr_t expected = 0;
        if (atomic_compare_exchange_strong(&gil_cond, &expected, (uintptr_t)c)) {
            open_trace();
            atomic_store(&gil_cond, (uintptr_t)c);
            if (hdr != NULL) hdr->gil_cond = (uintptr_t)c;
        }
        g = atomic_load(&gil_cond);
    }
    if (g != (uintptr_t)c) return real_timedwait(c, m, abs);
    emit(K_TIMEDWAIT_ENTER, 0, FIELD(c, -8, unsigned long), (uint64_t)FIELD(c, -16, int));
    int rc = real_timedwait(c, m, abs);
    uint64_t bits = (rc == ETIMEDOUT ? 1u : 0u) | (FIELD(c, -16, int) ? 2u : 0u);
    emit(K_TIMEDWAIT_EXIT, 0, FIELD(c, -8, unsigned long), bits);
    return rc;
}

int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m) {
    if (real_cond_wait == NULL) resolve();
    uintptr_t g = atomic_load_explicit(&gil_cond, memory_order_relaxed);
    if (g == 0 || (uintptr_t)c != g + 88) return real_cond_wait(c, m);
    emit(K_SWITCH_WAIT_ENTER, 0, FIELD(g, -8, unsigned long), 0);
    int rc = real_cond_wait(c, m);
    emit(K_SWITCH_WAIT_EXIT, 0, FIELD(g, -8, unsigned long), 0);
    return rc;
}

int pthread_cond_signal(pthread_cond_t *c) {
    if (real_cond_signal == NULL) resolve();
    uintptr_t g = atomic_load_explicit(&gil_cond, memory_order_relaxed);
    if (g != 0) {
        if ((uintptr_t)c == g + 88) {
            emit(K_ACQUIRE, 0, FIELD(g, -8, unsigned long), FIELD(g, -24, uint64_t));
        } else if ((uintptr_t)c == g) {
            emit(K_RELEASE, 0, FIELD(g, -8, unsigned long), 0);
        }
    }
    return real_cond_signal(c);
}

int pthread_mutex_lock(pthread_mutex_t *m) {
    if (real_mutex_lock == NULL) resolve();
    uintptr_t g = atomic_load_explicit(&gil_cond, memory_order_relaxed);
    if (g != 0 && (uintptr_t)m == g + 48) emit(K_GIL_MUTEX_LOCK, 0, 0, 0);
    return real_mutex_lock(m);
}

/* The blocking calls around the GIL's releases, to place each release on the request path. */
#define WRAP_CALL(id, fdv, expr)                                                                   \
    do {                                                                                       \
        emit(K_CALL_ENTER, 0, (id), (uint64_t)(int64_t)(fdv));                                 \
        __typeof__(expr) ret_ = (expr);                                                        \
        int saved_ = errno;                                                                    \
        emit(K_CALL_EXIT, 0, (id), (uint64_t)(int64_t)ret_);                                   \
        errno = saved_;                                                                        \
        return ret_;                                                                           \
    } while (0)

ssize_t send(int fd, const void *buf, size_t n, int flags) {
    if (real_send == NULL) resolve();
    WRAP_CALL(CALL_SEND, fd, real_send(fd, buf, n, flags));
}
ssize_t recv(int fd, void *buf, size_t n, int flags) {
    if (real_recv == NULL) resolve();
    WRAP_CALL(CALL_RECV, fd, real_recv(fd, buf, n, flags));
}
ssize_t sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *a, socklen_t l) {
    if (real_sendto == NULL) resolve();
    WRAP_CALL(CALL_SENDTO, fd, real_sendto(fd, buf, n, flags, a, l));
}
ssize_t recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *a, socklen_t *l) {
    if (real_recvfrom == NULL) resolve();
    WRAP_CALL(CALL_RECVFROM, fd, real_recvfrom(fd, buf, n, flags, a, l));
}
int epoll_wait(int epfd, struct epoll_event *ev, int max, int timeout) {
    if (real_epoll_wait == NULL) resolve();
    WRAP_CALL(CALL_EPOLL_WAIT, timeout, real_epoll_wait(epfd, ev, max, timeout));
}
ssize_t read(int fd, void *buf, size_t n) {
    if (real_read == NULL) resolve();
    WRAP_CALL(CALL_READ, fd, real_read(fd, buf, n));
}
ssize_t write(int fd, const void *buf, size_t n) {
    if (real_write == NULL) resolve();
    WRAP_CALL(CALL_WRITE, fd, real_write(fd, buf, n));
}
int sem_wait(sem_t *s) {
    if (real_sem_wait == NULL) resolve();
    WRAP_CALL(CALL_SEM_WAIT, 0, real_sem_wait(s));
}
int sem_timedwait(sem_t *s, const struct timespec *abs) {
    if (real_sem_timedwait == NULL) resolve();
    WRAP_CALL(CALL_SEM_TIMEDWAIT, 0, real_sem_timedwait(s, abs));
}
int sem_clockwait(sem_t *s, clockid_t clk, const struct timespec *abs) {
    if (real_sem_clockwait == NULL) resolve();
    WRAP_CALL(CALL_SEM_CLOCKWAIT, 0, real_sem_clockwait(s, clk, abs));
}
int sem_post(sem_t *s) {
    if (real_sem_post == NULL) resolve();
    WRAP_CALL(CALL_SEM_POST, 0, real_sem_post(s));
}
/* `select.poll().poll()`: multiprocessing's `connection.wait` (the process pool's manager
 * thread waiting for a result or a wake-up); its record's argument is the timeout, ms. */
int poll(struct pollfd *fds, nfds_t n, int timeout) {
    if (real_poll == NULL) resolve();
    WRAP_CALL(CALL_POLL, timeout, real_poll(fds, n, timeout));
}
