#!/usr/bin/env python3
# Host probe (run as root on a loop-mounted XFS, tracefs mounted at
# /sys/kernel/tracing): when does FALLOC_FL_UNSHARE_RANGE drop a file's
# reflink flag? Prints the trace of xfs_reflink_set_inode_flag /
# xfs_reflink_unset_inode_flag / xfs_reflink_unshare around each case.
#
#   mkfs.xfs -f img && mount -o loop img MNT && tests/probes/xfs_unshare_flag_probe.py MNT
#
# Recorded on 6.18.44 (fs/xfs/xfs_test.cc,
# UnshareDropsTheReflinkFlagWhenNothingIsSharedOrDirtiedSinceSync): cleared
# for a file with no extents or only unwritten ones; kept for fsynced data,
# delalloc, and a clone the unshare itself copied; after sync(2) the next
# unshare clears the last two.
import ctypes, fcntl, os, struct, sys

libc = ctypes.CDLL("libc.so.6", use_errno=True)
libc.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_long, ctypes.c_long]
FICLONE, FICLONERANGE = 0x40049409, 0x4020940D
UNSHARE, KEEP_SIZE = 0x40, 0x1
mnt = sys.argv[1]
T = "/sys/kernel/tracing"
EVENTS = ["xfs_reflink_unset_inode_flag", "xfs_reflink_set_inode_flag", "xfs_reflink_unshare"]


def enable(on):
    for ev in EVENTS:
        with open(f"{T}/events/xfs/{ev}/enable", "w") as f:
            f.write("1" if on else "0")


def mark(s):
    with open(f"{T}/trace_marker", "w") as f:
        f.write(s)


def new(name):
    return os.open(f"{mnt}/{name}", os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)


def hole_clone(fd):  # A clone of a hole into the file itself sets the flag.
    os.ftruncate(fd, 65536)
    fcntl.ioctl(fd, FICLONERANGE, struct.pack("qQQQ", fd, 32768, 4096, 49152))


open(f"{T}/trace", "w").close()
enable(True)
a = new("a"); os.pwrite(a, b"x" * 16384, 0); os.fsync(a); hole_clone(a)
mark("a: fsynced own data"); libc.fallocate(a, UNSHARE, 0, 65536)
b = new("b"); hole_clone(b); libc.fallocate(b, KEEP_SIZE, 0, 16384)
mark("b: unwritten only"); libc.fallocate(b, UNSHARE, 0, 65536)
c = new("c"); hole_clone(c); os.pwrite(c, b"z" * 4096, 0)
mark("c: delalloc only"); libc.fallocate(c, UNSHARE, 40000, 4096)
x = new("x"); y = new("y"); os.pwrite(x, b"x" * 65536, 0); os.fsync(x); fcntl.ioctl(y, FICLONE, x)
mark("y: clone unshared whole"); libc.fallocate(y, UNSHARE, 0, 65536)
os.sync()
mark("a after sync"); libc.fallocate(a, UNSHARE, 0, 65536)
mark("y after sync"); libc.fallocate(y, UNSHARE, 0, 65536)
mark("end")
enable(False)
with open(f"{T}/trace") as f:
    print("".join(l for l in f if not l.startswith("#")), end="")
