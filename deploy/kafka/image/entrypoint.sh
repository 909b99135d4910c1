#!/bin/bash
# Stand-in for apache/kafka's /etc/kafka/docker/run (see Dockerfile): KAFKA_*
# variables -> /opt/kafka/config/server.properties, format the storage with
# CLUSTER_ID once, then exec the broker (SIGTERM reaches the JVM directly).
set -euo pipefail
: "${CLUSTER_ID:?CLUSTER_ID is required (kafka-storage.sh random-uuid makes one)}"
props=/tmp/kraft-server.properties
{
	echo "log.dirs=/tmp/kraft-combined-logs"
	env | while IFS='=' read -r name value; do
		case $name in
		KAFKA_HEAP_OPTS | KAFKA_OPTS | KAFKA_LOG4J_OPTS | KAFKA_JVM_PERFORMANCE_OPTS | KAFKA_VERSION) continue ;;
		KAFKA_*) ;;
		*) continue ;;
		esac
		key=${name#KAFKA_}
		key=${key,,}
		key=${key//___/-}
		key=${key//__/@}
		key=${key//_/.}
		key=${key//@/_}
		echo "$key=$value"
	done
} >"$props"
if [ ! -f /tmp/kraft-combined-logs/meta.properties ]; then
	/opt/kafka/bin/kafka-storage.sh format --ignore-formatted -t "$CLUSTER_ID" -c "$props"
fi
exec /opt/kafka/bin/kafka-server-start.sh "$props"
