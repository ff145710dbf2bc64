/**
 * `ioreactor/sys`: raw file-descriptor and socket system calls for custom protocols.
 *
 * Every fd these functions create is close-on-exec; pipes, socket pairs and sockets are
 * also non-blocking. Hot-path calls return a count or a negative errno (`-EAGAIN` is a
 * normal result) and never throw for an OS error; the others throw {@link SystemError}.
 */
export * from './sys/fd.js';
export * from './sys/socket.js';
