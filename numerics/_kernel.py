"""The fused CPU kernel behind `numerics.trainers.gradient_descent`: C source, compilation and loading.

Compiled on first use with the system C compiler and cached on disk (``$IPVERIFY_KERNEL_CACHE``, else
~/.cache/ipverify, else the temp dir), in a folder of mode 0700 with the SHA-256 of each library beside it; a
cached library is loaded only from such a folder, owned by this user, not writable by others, with a matching
digest (else it is rebuilt privately). `kernel_available()` is False when that fails or ``IPVERIFY_KERNEL=0``,
and the trainers then use their batched PyTorch loop. tests/test_bench.py checks the kernel against that loop.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import os
import platform
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

import torch

# Fused CPU kernel: the whole run of one network in one pass per step, with V in cache
# ---------------------------------------------------------------------------------------------------------

_KERNEL_HEADER = r"""
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#ifdef IPV_MVEC  /* vector clones from glibc's libmvec, so that the activation loops vectorise */
extern double tanh(double) __attribute__((__simd__("notinbranch")));
extern double exp(double) __attribute__((__simd__("notinbranch")));
extern double expm1(double) __attribute__((__simd__("notinbranch")));
extern double log1p(double) __attribute__((__simd__("notinbranch")));
extern float tanhf(float) __attribute__((__simd__("notinbranch")));
extern float expf(float) __attribute__((__simd__("notinbranch")));
extern float expm1f(float) __attribute__((__simd__("notinbranch")));
extern float log1pf(float) __attribute__((__simd__("notinbranch")));
#endif
#define IPV_BLOCK 32
"""

_KERNEL_TEMPLATE = r"""
/* a = phi(z), da = phi'(z) for the registered activations: 0 tanh, 1 sigmoid, 2 softplus, 3 ELU (alpha = 1),
   the formulas of numerics.activations. */
static void act_block_SFX(int act, int64_t len, const REAL *z, REAL *a, REAL *da) {
    const REAL one = 1, zero = 0;
    switch (act) {
    case 0:
#pragma omp simd
        for (int64_t j = 0; j < len; j++) { REAL t = F_TANH(z[j]); a[j] = t; da[j] = one - t * t; }
        break;
    case 1:
#pragma omp simd
        for (int64_t j = 0; j < len; j++) { REAL t = one / (one + F_EXP(-z[j])); a[j] = t; da[j] = t * (one - t); }
        break;
    case 2:
#pragma omp simd
        for (int64_t j = 0; j < len; j++) {
            REAL zj = z[j], mx = zj > zero ? zj : zero, az = zj < zero ? -zj : zj;
            a[j] = mx + F_LOG1P(F_EXP(-az));
            da[j] = one / (one + F_EXP(-zj));
        }
        break;
    default:
#pragma omp simd
        for (int64_t j = 0; j < len; j++) {
            REAL zj = z[j], zc = zj > zero ? zero : zj;
            a[j] = zj > zero ? zj : F_EXPM1(zc);
            da[j] = zj > zero ? one : F_EXP(zc);
        }
    }
}

/* xn += sum_j V[j] * w[j] over rows j0..j0+len of Vt (rows of length n). */
static void rows_axpy_SFX(int64_t n, int64_t len, const REAL *V, const REAL *w, REAL *xn) {
    int64_t j = 0;
    for (; j + 4 <= len; j += 4) {
        const REAL *r0 = V + j * n, *r1 = r0 + n, *r2 = r1 + n, *r3 = r2 + n;
        const REAL w0 = w[j], w1 = w[j + 1], w2 = w[j + 2], w3 = w[j + 3];
#pragma omp simd
        for (int64_t l = 0; l < n; l++) xn[l] += r0[l] * w0 + r1[l] * w1 + r2[l] * w2 + r3[l] * w3;
    }
    for (; j < len; j++) {
        const REAL *r0 = V + j * n;
        const REAL w0 = w[j];
#pragma omp simd
        for (int64_t l = 0; l < n; l++) xn[l] += r0[l] * w0;
    }
}

/* t[j] = <s, V[j]> for rows j < len. */
static void rows_dot_SFX(int64_t n, int64_t len, const REAL *V, const REAL *s, REAL *t) {
    int64_t j = 0;
    for (; j + 4 <= len; j += 4) {
        const REAL *r0 = V + j * n, *r1 = r0 + n, *r2 = r1 + n, *r3 = r2 + n;
        REAL t0 = 0, t1 = 0, t2 = 0, t3 = 0;
#pragma omp simd reduction(+ : t0, t1, t2, t3)
        for (int64_t l = 0; l < n; l++) {
            REAL sl = s[l];
            t0 += sl * r0[l]; t1 += sl * r1[l]; t2 += sl * r2[l]; t3 += sl * r3[l];
        }
        t[j] = t0; t[j + 1] = t1; t[j + 2] = t2; t[j + 3] = t3;
    }
    for (; j < len; j++) {
        const REAL *r0 = V + j * n;
        REAL t0 = 0;
#pragma omp simd reduction(+ : t0)
        for (int64_t l = 0; l < n; l++) t0 += s[l] * r0[l];
        t[j] = t0;
    }
}

/* V[j] -= ca[j] s (rows j < len), then xn += sum_j V[j] * w[j] with the updated rows. */
static void rows_update_axpy_SFX(int64_t n, int64_t len, REAL *V, const REAL *ca, const REAL *s, const REAL *w,
                                 REAL *xn) {
    int64_t j = 0;
    for (; j + 4 <= len; j += 4) {
        REAL *r0 = V + j * n, *r1 = r0 + n, *r2 = r1 + n, *r3 = r2 + n;
        const REAL c0 = ca[j], c1 = ca[j + 1], c2 = ca[j + 2], c3 = ca[j + 3];
        const REAL w0 = w[j], w1 = w[j + 1], w2 = w[j + 2], w3 = w[j + 3];
#pragma omp simd
        for (int64_t l = 0; l < n; l++) {
            REAL sl = s[l];
            REAL v0 = r0[l] - c0 * sl, v1 = r1[l] - c1 * sl, v2 = r2[l] - c2 * sl, v3 = r3[l] - c3 * sl;
            r0[l] = v0; r1[l] = v1; r2[l] = v2; r3[l] = v3;
            xn[l] += v0 * w0 + v1 * w1 + v2 * w2 + v3 * w3;
        }
    }
    for (; j < len; j++) {
        REAL *r0 = V + j * n;
        const REAL c0 = ca[j], w0 = w[j];
#pragma omp simd
        for (int64_t l = 0; l < n; l++) { REAL v0 = r0[l] - c0 * s[l]; r0[l] = v0; xn[l] += v0 * w0; }
    }
}

/* Gradient descent for networks [i0, i1); see `_descend_kernel` in numerics/trainers.py for the arguments.
   Returns 0, or 1 when scratch memory cannot be allocated. */
int ipv_gd_train_SFX(int64_t i0, int64_t i1, int64_t n, int64_t m, int64_t k, int64_t d, int64_t steps, int act,
                     const REAL *A, int64_t A_stride, const REAL *y, const REAL *z0, const REAL *usq,
                     const REAL *gamma, const REAL *room, const REAL *W0, const REAL *u, const REAL *V0t, REAL *Vt,
                     REAL *Q, const int64_t *rec_slot, int64_t T, REAL *loss_rec, REAL *res_rec, REAL *dist_rec,
                     REAL *gsq_rec, REAL *x_rec, REAL *lengths, int64_t *diverged_at, double divergence_loss,
                     double max_dist0, int check_dist) {
    REAL *buf = (REAL *)malloc(sizeof(REAL) * (size_t)(3 * k + 3 * n + m + 3 * IPV_BLOCK));
    if (!buf) return 1;
    REAL *z = buf, *a = z + k, *da = a + k, *x = da + k, *xn = x + n, *s = xn + n, *r = s + n;
    REAL *t = r + m, *ca = t + IPV_BLOCK;
    const REAL inv_rk = (REAL)(1.0 / sqrt((double)k));
    for (int64_t i = i0; i < i1; i++) {
        const REAL *Ai = A + i * A_stride, *yi = y + i * m, *z0i = z0 + i * k, *V0i = V0t + i * k * n;
        const REAL *W0i = W0 + i * k * d, *ui = u + i * d;
        REAL *V = Vt + i * k * n, *Qi = Q + i * k;
        const REAL g = gamma[i], c = g * inv_rk, us = usq[i];
        for (int64_t j = 0; j < k; j++) z[j] = z0i[j] - us * Qi[j];
        act_block_SFX(act, k, z, a, da);
        for (int64_t l = 0; l < n; l++) xn[l] = 0;
        rows_axpy_SFX(n, k, V, a, xn);
        for (int64_t l = 0; l < n; l++) x[l] = xn[l] * inv_rk;
        int64_t at = -1;
        double path = 0;
        for (int64_t tau = 0;; tau++) {
            /* r = A x - y, f = |r|^2 / 2, s = A^T r */
            double rr = 0;
            for (int64_t p = 0; p < m; p++) {
                const REAL *Ap = Ai + p * n;
                REAL acc = 0;
#pragma omp simd reduction(+ : acc)
                for (int64_t l = 0; l < n; l++) acc += Ap[l] * x[l];
                r[p] = acc - yi[p];
                rr += (double)r[p] * (double)r[p];
            }
            for (int64_t l = 0; l < n; l++) s[l] = 0;
            for (int64_t p = 0; p < m; p++) {
                const REAL *Ap = Ai + p * n;
                const REAL rp = r[p];
#pragma omp simd
                for (int64_t l = 0; l < n; l++) s[l] += Ap[l] * rp;
            }
            const REAL loss = (REAL)(0.5 * rr);
            const int64_t slot = rec_slot[tau];
            /* divergence: the cheap test (loss, and max|theta_0| + path length <= room), exact when it fails */
            int ok = tau > 0 && (double)loss <= divergence_loss && path <= (double)room[i];
            double dist = NAN;
            if (slot >= 0 || (!ok && check_dist)) {
                double qn = 0, dv = 0;
                for (int64_t j = 0; j < k; j++) qn += (double)Qi[j] * (double)Qi[j];
                for (int64_t e = 0; e < k * n; e++) { double w = (double)V[e] - (double)V0i[e]; dv += w * w; }
                dist = sqrt(qn * (double)us + dv);
            }
            if (!ok) {
                ok = (double)loss <= divergence_loss;
                for (int64_t e = 0; ok && e < k * n; e++) ok = isfinite(V[e]);
                for (int64_t j = 0; ok && j < k; j++)
                    for (int64_t l = 0; ok && l < d; l++) ok = isfinite(W0i[j * d + l] - Qi[j] * ui[l]);
                if (ok && check_dist) ok = dist <= max_dist0;
                if (!ok) at = tau;
            }
            double ss = 0, aa = 0;
            for (int64_t l = 0; l < n; l++) ss += (double)s[l] * (double)s[l];
            for (int64_t j = 0; j < k; j++) aa += (double)a[j] * (double)a[j];
            if (slot >= 0) {
                loss_rec[i * T + slot] = loss;
                res_rec[i * T + slot] = (REAL)sqrt(rr);
                dist_rec[i * T + slot] = (REAL)dist;
                if (x_rec) for (int64_t l = 0; l < n; l++) x_rec[(i * T + slot) * n + l] = x[l];
            }
            double qq = 0;
            if (at >= 0 || tau == steps) {
                if (slot >= 0) { /* |grad f|^2 at the last iterate: V^T s without a step */
                    for (int64_t j0 = 0; j0 < k; j0 += IPV_BLOCK) {
                        const int64_t len = k - j0 < IPV_BLOCK ? k - j0 : IPV_BLOCK;
                        rows_dot_SFX(n, len, V + j0 * n, s, t);
                        for (int64_t jj = 0; jj < len; jj++) {
                            double q = (double)t[jj] * (double)da[j0 + jj];
                            qq += q * q;
                        }
                    }
                    gsq_rec[i * T + slot] = (REAL)((ss * aa + qq * (double)us) * (double)(inv_rk * inv_rk));
                }
                break;
            }
            /* one pass over V, block by block of rows: q = (V^T s) * phi'(z), Q += c q, the new z, a, phi'(z);
               V -= c s a_old^T; x_new = V_new a_new / sqrt(k) */
            for (int64_t l = 0; l < n; l++) xn[l] = 0;
            for (int64_t j0 = 0; j0 < k; j0 += IPV_BLOCK) {
                const int64_t len = k - j0 < IPV_BLOCK ? k - j0 : IPV_BLOCK;
                REAL *Vb = V + j0 * n;
                rows_dot_SFX(n, len, Vb, s, t);
#pragma omp simd reduction(+ : qq)
                for (int64_t jj = 0; jj < len; jj++) {
                    const int64_t j = j0 + jj;
                    const REAL q = t[jj] * da[j];
                    qq += (double)q * (double)q;
                    Qi[j] += c * q;
                    z[j] = z0i[j] - us * Qi[j];
                    ca[jj] = c * a[j];
                }
                act_block_SFX(act, len, z + j0, a + j0, da + j0);
                rows_update_axpy_SFX(n, len, Vb, ca, s, a + j0, xn);
            }
            const double gsq = (ss * aa + qq * (double)us) * (double)(inv_rk * inv_rk);
            if (slot >= 0) gsq_rec[i * T + slot] = (REAL)gsq;
            const double len = (double)g * sqrt(gsq);
            lengths[i * steps + tau] = (REAL)len;
            path += len;
            for (int64_t l = 0; l < n; l++) x[l] = xn[l] * inv_rk;
        }
        diverged_at[i] = at;
    }
    free(buf);
    return 0;
}
"""

KERNEL_ACTIVATIONS = {"tanh": 0, "sigmoid": 1, "softplus": 2, "elu": 3}

KERNEL_VARIANTS = {
    torch.float64: {"REAL": "double", "SFX": "f64", "F_TANH": "tanh", "F_EXPM1": "expm1", "F_EXP": "exp",
                    "F_LOG1P": "log1p"},
    torch.float32: {"REAL": "float", "SFX": "f32", "F_TANH": "tanhf", "F_EXPM1": "expm1f", "F_EXP": "expf",
                    "F_LOG1P": "log1pf"},
}

USE_KERNEL = os.environ.get("IPVERIFY_KERNEL", "1") != "0"
"""Use the fused C kernel where it applies (CPU, float32/float64, a registered activation, no σ_min records);
``IPVERIFY_KERNEL=0`` (or setting this to False) forces the PyTorch loop everywhere."""


KERNEL_THREADS: int | None = None
"""Threads the fused kernel splits the networks among; None: ``torch.get_num_threads()``."""


def kernel_threads() -> int:
    """The number of threads the fused kernel uses (see `KERNEL_THREADS`)."""
    return max(1, KERNEL_THREADS or torch.get_num_threads())


def _kernel_source() -> str:
    parts = [_KERNEL_HEADER]
    for variant in KERNEL_VARIANTS.values():
        text = _KERNEL_TEMPLATE
        for token, value in variant.items():  # F_EXPM1 before F_EXP (dict order)
            text = text.replace(token, value)
        parts.append(text)
    return "\n".join(parts)


def _cpu_flags() -> set[str]:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def _kernel_cache_dirs() -> list[Path]:
    """Where the compiled kernel is kept: $IPVERIFY_KERNEL_CACHE, else ~/.cache/ipverify, else the temp dir."""
    if os.environ.get("IPVERIFY_KERNEL_CACHE"):
        return [Path(os.environ["IPVERIFY_KERNEL_CACHE"])]
    home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ipverify"
    return [home, Path(tempfile.gettempdir()) / f"ipverify-{os.getuid()}"]


def _compiler() -> str | None:
    return shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")


def _build_options() -> list[tuple[list[str], list[str]]]:
    """(flags, libraries) to try in order: with glibc's libmvec, then without."""
    arch = ["-mavx2", "-mfma"] if {"avx2", "fma"} <= _cpu_flags() else []
    base = ["-O3", "-fPIC", "-shared", "-fopenmp-simd", "-fno-math-errno", "-fno-strict-aliasing", *arch]
    return [([*base, "-DIPV_MVEC"], ["-lmvec", "-lm"]), (base, ["-lm"])]


def library_name(compiler: str, flags: list[str], libs: list[str]) -> str:
    """File name of the compiled kernel in a cache folder: a hash of the source, the compiler and the flags."""
    key = hashlib.sha256("\0".join([_kernel_source(), compiler, platform.machine(), *flags, *libs]).encode())
    return f"gd_kernel_{key.hexdigest()[:20]}.so"


def library_names() -> list[str]:
    """The file names `kernel_library` looks for in a cache folder, in order (empty without a compiler)."""
    compiler = _compiler()
    return [library_name(compiler, flags, libs) for flags, libs in _build_options()] if compiler else []


# Loading only what can be trusted: a cached library is used when its folder and file belong to this user, no one
# else can write them, and its content is the one the builder recorded beside it; anything else is rebuilt.
# The checks are made on an open descriptor, and the library is loaded from that same descriptor.

_DIGEST_SUFFIX = ".sha256"


def _private_dir(directory: Path) -> bool:
    """Create `directory` (mode 0700) if needed; True when it is a real folder of this user that only it can write."""
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = os.lstat(directory)
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o022:
            return False
        if st.st_mode & 0o077:  # readable by others but never writable by them: tighten it
            os.chmod(directory, 0o700)
        return True
    except OSError:
        return False


def _open_owned(path: Path) -> int | None:
    """A read-only descriptor of `path` if it is a regular file (not a link) of this user, not group/world-writable."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    st = os.fstat(fd)
    if stat.S_ISREG(st.st_mode) and st.st_uid == os.getuid() and not st.st_mode & 0o022:
        return fd
    os.close(fd)
    return None


def _read_fd(fd: int) -> bytes:
    chunks, offset = [], 0
    while chunk := os.pread(fd, 1 << 20, offset):
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)


def _open_trusted(path: Path) -> int | None:
    """A descriptor of the cached library `path` when it passes the checks above; None otherwise."""
    digest_fd = _open_owned(path.with_name(path.name + _DIGEST_SUFFIX))
    if digest_fd is None:
        return None
    try:
        expected = _read_fd(digest_fd).decode("ascii", "replace").strip()
    finally:
        os.close(digest_fd)
    fd = _open_owned(path)
    if fd is not None and hashlib.sha256(_read_fd(fd)).hexdigest() != expected:
        os.close(fd)
        fd = None
    return fd


def _build(compiler: str, flags: list[str], libs: list[str], workdir: Path, target: Path | None) -> int:
    """Compile in a fresh private folder under `workdir`; a descriptor of the result, cached at `target` (with its
    digest) unless `target` is None. Raises OSError / SubprocessError on failure."""
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:  # mode 0700, owned by this process's user
        src, out = Path(tmp) / "gd_kernel.c", Path(tmp) / "gd_kernel.so"
        src.write_text(_kernel_source())
        subprocess.run([compiler, *flags, "-o", str(out), str(src), *libs], check=True, capture_output=True,
                       timeout=120)
        os.chmod(out, 0o755)
        fd = os.open(out, os.O_RDONLY | os.O_CLOEXEC)
        if target is not None:
            try:
                digest = Path(tmp) / "digest"
                digest.write_text(hashlib.sha256(_read_fd(fd)).hexdigest() + "\n")
                os.chmod(digest, 0o644)
                os.replace(digest, target.with_name(target.name + _DIGEST_SUFFIX))
                os.replace(out, target)  # atomic: concurrent processes may race to build it
            except OSError:
                pass  # not cached, still usable by this process
        return fd


def _library_fd(compiler: str, flags: list[str], libs: list[str]) -> int:
    """A descriptor of a trusted cached build, else of a fresh build (cached in the first private cache folder, or
    made in a private temporary folder and used once)."""
    name = library_name(compiler, flags, libs)
    for directory in _kernel_cache_dirs():
        if not _private_dir(directory):
            continue
        fd = _open_trusted(directory / name)
        if fd is not None:
            return fd
        try:
            return _build(compiler, flags, libs, directory, directory / name)
        except OSError:  # the folder refused the build: try the next one
            continue
    return _build(compiler, flags, libs, Path(tempfile.gettempdir()), None)


def _bind(lib: ctypes.CDLL) -> ctypes.CDLL:
    P, I64 = ctypes.c_void_p, ctypes.c_int64
    for variant in KERNEL_VARIANTS.values():
        fn = getattr(lib, f"ipv_gd_train_{variant['SFX']}")
        fn.argtypes = [I64] * 7 + [ctypes.c_int] + [P, I64] + [P] * 11 + [I64] + [P] * 7 + [
            ctypes.c_double, ctypes.c_double, ctypes.c_int]
        fn.restype = ctypes.c_int
    return lib


@functools.cache
def kernel_library() -> ctypes.CDLL | None:
    """Compile (once, cached on disk by source and flags) and load the fused kernel; None if that fails.

    Built with the system C compiler (``$CC``, else cc/gcc) at -O3, with AVX2/FMA when the CPU has them and the
    vector math of glibc's libmvec when it links; no -ffast-math (NaN and inf must propagate: divergence is
    detected from them). A cached library is loaded only when it passes the ownership, mode and digest checks of
    `_open_trusted`. Any failure leaves the PyTorch loop in charge.
    """
    compiler = _compiler()
    if compiler is None or platform.system() != "Linux":
        return None
    for flags, libs in _build_options():
        try:
            fd = _library_fd(compiler, flags, libs)
        except (OSError, subprocess.SubprocessError):
            continue
        try:
            return _bind(ctypes.CDLL(f"/proc/self/fd/{fd}"))
        except (OSError, AttributeError):
            continue
        finally:
            os.close(fd)
    return None


def kernel_available() -> bool:
    """Whether the fused CPU kernel is enabled (see `USE_KERNEL`) and could be built here."""
    return USE_KERNEL and kernel_library() is not None
