/* Replaced by the Kafka worker modules (issue 6). */
int kafka_placeholder(void);
int kafka_placeholder(void) { return 0; }
