/* Internal: the property table shared by conf.c and conf_props.c. */
#ifndef SML_CONF_INT_H
#define SML_CONF_INT_H
#include "streamml/conf.h"
extern const sml_prop sml_conf_table[];
extern const size_t sml_conf_table_len;
#endif
