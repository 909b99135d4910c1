#!/bin/bash
# kafka-run-class.sh CLASS ARGS...: the JVM with every jar in /opt/kafka/libs
# (stand-in for the official script; see ../Dockerfile). KAFKA_LOG4J_OPTS,
# KAFKA_HEAP_OPTS and KAFKA_OPTS as in the official scripts.
set -euo pipefail
# shellcheck disable=SC2086 # the *_OPTS variables are word lists
exec java ${KAFKA_HEAP_OPTS:--Xmx256m} ${KAFKA_OPTS:-} \
	${KAFKA_LOG4J_OPTS:--Dlog4j.configuration=file:/opt/kafka/config/tools-log4j.properties} \
	-cp '/opt/kafka/libs/*' "$@"
