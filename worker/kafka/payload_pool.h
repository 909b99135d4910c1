/* payload_pool: memory for produced records that librdkafka references
 * without copying until their delivery reports. Records are packed into
 * 64 KB slabs; a slab is reused once every record in it is released. Why:
 * RD_KAFKA_MSG_F_COPY made one ~1.5 KB malloc per record on the
 * classification thread and its free on the delivery thread, the costliest
 * allocation pattern glibc has (docs/kafka.md "Records produced without a copy").
 *
 * One pool per classification thread: payload_pool_put from that thread only;
 * payload_pool_release from any thread (the delivery reports'). */
#ifndef STEMTAG_PAYLOAD_POOL_H
#define STEMTAG_PAYLOAD_POOL_H

#include <stddef.h>

struct payload_pool;

/** @returns a pool, or NULL when out of memory. */
struct payload_pool *payload_pool_new(void);

/**
 * @brief Frees the pool and every slab, released or not: only once nothing
 * can reference them any more (the producer destroyed).
 */
void payload_pool_destroy(struct payload_pool *p);

/**
 * @brief Copies @p len bytes into the pool.
 * @returns the copy, valid until payload_pool_release; NULL when @p len is
 * above PAYLOAD_POOL_MAX_LEN or out of memory (the caller copies otherwise).
 */
void *payload_pool_put(struct payload_pool *p, const void *data, size_t len);

/** @brief Gives back what payload_pool_put returned; any thread. */
void payload_pool_release(void *payload);

/** @returns the slabs the pool holds (in use or kept empty): its memory in 64 KB. */
size_t payload_pool_slabs(struct payload_pool *p);

#define PAYLOAD_POOL_MAX_LEN 16384 /* larger records are copied by librdkafka */

#endif
