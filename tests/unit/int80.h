/* SPDX-License-Identifier: Apache-2.0 */
/*
 * int80.h - the unit tests' way into the i386 system call ABI from this
 * 64-bit process (int $0x80), and whether this kernel runs it at all: a
 * kernel built without ia32 emulation, booted with ia32_emulation=0, or a
 * hypervisor that does not pass the trap on (seen: a kernel with
 * CONFIG_IA32_EMULATION=y under firecracker/PVM) kills the caller with
 * SIGSEGV, whatever the sandbox says.
 */
#ifndef NB_INT80_H
#define NB_INT80_H

#include <stdbool.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__x86_64__)
#define NB_HAVE_INT80_ASM 1
#define I386_GETPID 20
#define I386_LISTEN 363

/* A call through the i386 ABI, as a 32-bit program makes it. */
static inline long int80(long nr, long a, long b)
{
	long r;

	__asm__ volatile("int $0x80"
			 : "=a"(r)
			 : "a"(nr), "b"(a), "c"(b)
			 : "r8", "r9", "r10", "r11", "memory", "cc");
	return r;
}

/* Does this kernel run i386 calls?  Asked in a child: a kernel that
 * does not kills the caller. */
static inline bool have_int80(void)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(int80(I386_GETPID, 0, 0) == getpid() ? 0 : 1);
	return pid > 0 && waitpid(pid, &status, 0) == pid &&
	       WIFEXITED(status) && WEXITSTATUS(status) == 0;
}
#else
static inline bool have_int80(void)
{
	return false;
}
#endif

#endif /* NB_INT80_H */
