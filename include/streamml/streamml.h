/*
 * streamml: train, apply and keep updating machine-learning models on live data streams.
 * The umbrella header: includes every public header of libstreamml.
 */
#ifndef STREAMML_H
#define STREAMML_H

#define SML_VERSION_MAJOR 0
#define SML_VERSION_MINOR 1
#define SML_VERSION_PATCH 0
#define SML_VERSION_STRING "0.1.0"

#include "streamml/error.h"
#include "streamml/num.h"
#include "streamml/conf.h"
#include "streamml/record.h"
#include "streamml/parse.h"
#include "streamml/textout.h"
#include "streamml/parquet.h"
#include "streamml/gen.h"
#include "streamml/schema.h"
#include "streamml/pipeline.h"
#include "streamml/model.h"
#include "streamml/metrics.h"
#include "streamml/store.h"
#include "streamml/train.h"
#include "streamml/io.h"
#include "streamml/report.h"
#include "streamml/replay.h"

#ifdef __cplusplus
extern "C" {
#endif
/* The library's version string ("0.1.0"), for checking the header against the linked library. */
SML_API const char *sml_version(void);
#ifdef __cplusplus
}
#endif
#endif
