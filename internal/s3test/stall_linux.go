package s3test

import (
	"fmt"
	"net"
	"syscall"
	"time"
)

// StalledConnect returns a loopback address where a TCP connect hangs (until the caller's
// timeout), and a function that releases it. The socket listens with a backlog of 0 and never
// accepts; once one connection fills its accept queue, Linux drops the SYNs of the next ones.
func StalledConnect() (addr string, release func(), err error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return "", nil, err
	}
	sa := &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}
	if err := syscall.Bind(fd, sa); err != nil {
		syscall.Close(fd)
		return "", nil, err
	}
	if err := syscall.Listen(fd, 0); err != nil {
		syscall.Close(fd)
		return "", nil, err
	}
	got, err := syscall.Getsockname(fd)
	if err != nil {
		syscall.Close(fd)
		return "", nil, err
	}
	addr = fmt.Sprintf("127.0.0.1:%d", got.(*syscall.SockaddrInet4).Port)
	var held []net.Conn
	release = func() {
		for _, c := range held {
			c.Close()
		}
		syscall.Close(fd)
	}
	// Fill the accept queue, then check that a connect does hang.
	for i := 0; i < 4; i++ {
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err != nil {
			return addr, release, nil
		}
		held = append(held, c)
	}
	release()
	return "", nil, fmt.Errorf("connects to %s do not hang", addr)
}
