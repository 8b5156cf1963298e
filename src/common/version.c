/* Library version. */
#include "streamml/streamml.h"
const char *sml_version(void) { return SML_VERSION_STRING; }
