/*
 * bcryptprimitives.dll for Wine 8, which has none: Go 1.24+ binaries need
 * its ProcessPrng at start-up. Built by .ci/wine/test with mingw-w64 into
 * the lane's Wine prefix (never shipped): ProcessPrng over advapi32's
 * SystemFunction036 (RtlGenRandom), which Wine has.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buf, ULONG len);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
	while (len > 0) {
		ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;
		if (!SystemFunction036(data, n))
			return FALSE;
		data += n;
		len -= n;
	}
	return TRUE;
}
