# kernel-floor-scene.py N CMD: the bench's namespace flood scene (scripts/bench/flood.ts): N `ip netns`
# namespaces, each with a listener at backlog 0 holding one queued connection and its client, all held
# by this process in the host namespace (EMPTY=1: no listeners); runs CMD through sh with $NS_LIST (a
# file of their /run/netns paths, one a line), then removes everything, also on failure. Root only.
import ctypes, fcntl, os, socket, struct, subprocess, sys, resource
libc = ctypes.CDLL(None, use_errno=True)
n = int(sys.argv[1]); cmd = sys.argv[2]
empty = os.environ.get('EMPTY') == '1'
tag = f'sockdoc-floor-{os.getpid()}'
names = [f'{tag}-{i}' for i in range(n)]
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
keep = []
lst = f'/tmp/{tag}.list'
try:
    subprocess.run(['ip', '-force', '-batch', '-'], input=''.join(f'netns add {x}\n' for x in names), text=True, check=True)
    home = os.open('/proc/self/ns/net', os.O_RDONLY)
    if not empty:
        for name in names:
            fd = os.open('/run/netns/' + name, os.O_RDONLY)
            if libc.setns(fd, 0x40000000) != 0: raise OSError(ctypes.get_errno(), 'setns')
            os.close(fd)
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            flags = struct.unpack('16sh', fcntl.ioctl(u, 0x8913, struct.pack('16sh', b'lo', 0)))[1]
            fcntl.ioctl(u, 0x8914, struct.pack('16sh', b'lo', flags | 1)); u.close()
            s = socket.socket(); s.bind(('127.0.0.1', 9400)); s.listen(0)
            c = socket.socket(); c.setblocking(False)
            try: c.connect(('127.0.0.1', 9400))
            except BlockingIOError: pass
            keep += [s, c]
            libc.setns(home, 0x40000000)
    with open(lst, 'w') as f: f.write(''.join(f'/run/netns/{x}\n' for x in names))
    print('scene ready', n, 'empty' if empty else 'full', flush=True)
    r = subprocess.run(['sh', '-c', cmd], env={**os.environ, 'NS_LIST': lst})
    print('scene cmd rc', r.returncode, flush=True)
finally:
    for s in keep: s.close()
    subprocess.run(['ip', '-force', '-batch', '-'], input=''.join(f'netns del {x}\n' for x in names), text=True)
    try: os.unlink(lst)
    except FileNotFoundError: pass
