// libcap is used on the parent side only: to validate capability names before they reach a bundle, and to learn
// how many capabilities the running kernel has. The fork child drops capabilities with raw prctl/capset.
#include "kyr.h"
#include <sys/capability.h>

int kyr_cap_valid_name(const char *name) {
    cap_value_t value;
    return cap_from_name(name, &value) == 0 ? 1 : 0;
}

int kyr_cap_last(void) { return (int)cap_max_bits() - 1; }
