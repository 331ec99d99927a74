// zlib (Debian's zlib1g-dev) for compressing recordings; only the Recording target imports it.
#include <zlib.h>
