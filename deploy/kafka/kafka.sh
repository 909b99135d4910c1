#!/usr/bin/env bash
# kafka.sh: a real single-node Apache Kafka (KRaft, broker+controller) on 127.0.0.1
# for development and tests. Jars come from Maven Central (pom.xml beside this
# script) into a cache outside the repo; state lives in one directory.
#
#   kafka.sh fetch                               download the jars (idempotent)
#   kafka.sh start  [--dir D] [--fresh] [--watch-pid PID | --watch-parent] [--sasl]
#                                                format + start, wait for metadata,
#                                                print the bootstrap address
#   kafka.sh stop   [--dir D]                    SIGTERM, wait, SIGKILL if it must
#   kafka.sh restart [--dir D] [--down-seconds N]
#                                                stop + start on the same ports and data;
#                                                with N: aims at N s unavailable, from the
#                                                stop until it answers again: the new JVM
#                                                is launched N s minus the stop minus the
#                                                slowest start seen in D (a start can still
#                                                be slower: the figure is measured, not
#                                                assumed); the phases go to stderr, the
#                                                measured outage in ms to D/outage.ms
#   kafka.sh status [--dir D]                    "running <bootstrap>" or "stopped" (exit 1)
#   kafka.sh create-topic NAME [PARTITIONS] [--config K=V]... [--dir D]
#                                                e.g. --config max.message.bytes=16777216
#
# Ports are chosen free at start (never fixed); --dir D/bootstrap holds
# "127.0.0.1:PORT" while the broker runs. --watch-pid stops the broker when that
# process exits, --watch-parent watches the caller (ctest): an interrupted or
# killed test run leaves no broker behind.
# --sasl adds a SASL_PLAINTEXT (SCRAM-SHA-256) listener; its address goes to
# D/bootstrap.sasl and user "stemtag" / password in D/sasl.password.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KAFKA_VERSION=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/pom.xml")
CACHE=${STEMTAG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/stemtag}
LIBS=$CACHE/kafka-$KAFKA_VERSION/libs
DIR=${STEMTAG_KAFKA_DIR:-${TMPDIR:-/tmp}/stemtag-kafka-$(id -u)}
HEAP=${STEMTAG_KAFKA_HEAP:-512m}

say() { printf 'kafka.sh: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

fetch() {
	[ -f "$LIBS/.complete" ] && return 0
	command -v mvn >/dev/null || die "mvn not found: run tools/bootstrap.sh first"
	mkdir -p "$LIBS"
	# One download at a time even when several test runs start together.
	exec 9>"$CACHE/kafka-$KAFKA_VERSION.lock"
	flock 9
	if [ ! -f "$LIBS/.complete" ]; then
		say "fetching Apache Kafka $KAFKA_VERSION jars from Maven Central into $LIBS"
		mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies \
			-DoutputDirectory="$LIBS" -DincludeScope=runtime >&2 ||
			die "maven could not fetch org.apache.kafka:kafka_2.13:$KAFKA_VERSION"
		touch "$LIBS/.complete"
	fi
	flock -u 9
}

java_run() { java -Xmx"$HEAP" -cp "$LIBS/*" -Dlog4j.configuration="file:$DIR/log4j.properties" "$@"; }

# A TCP port nobody listens on right now (bash /dev/tcp probe; no fixed ports),
# below the kernel's ephemeral range, where outgoing connections (the busy
# machine's clients) would otherwise take it between the probe and the bind.
free_port() {
	local p lo=32768 span
	read -r lo _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
	span=$((lo - 20000))
	[ "$span" -ge 1000 ] || { lo=60000; span=40000; }
	for _ in $(seq 1 200); do
		p=$((20000 + RANDOM % span))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	die "no free port found"
}

pid_alive() { [ -f "$DIR/broker.pid" ] && kill -0 "$(cat "$DIR/broker.pid")" 2>/dev/null; }

write_config() {
	local port=$1 cport=$2 sport=${3:-}
	local listeners="PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport"
	local advertised="PLAINTEXT://127.0.0.1:$port"
	local protomap="PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
	if [ -n "$sport" ]; then
		listeners="$listeners,SASL_PLAINTEXT://127.0.0.1:$sport"
		advertised="$advertised,SASL_PLAINTEXT://127.0.0.1:$sport"
		protomap="$protomap,SASL_PLAINTEXT:SASL_PLAINTEXT"
	fi
	cat >"$DIR/server.properties" <<CONF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=$listeners
advertised.listeners=$advertised
listener.security.protocol.map=$protomap
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$DIR/data
auto.create.topics.enable=false
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
group.initial.rebalance.delay.ms=0
log.segment.bytes=67108864
log.retention.check.interval.ms=600000
CONF
	if [ -n "$sport" ]; then
		cat >>"$DIR/server.properties" <<CONF
sasl.enabled.mechanisms=SCRAM-SHA-256
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
CONF
	fi
	cat >"$DIR/log4j.properties" <<CONF
log4j.rootLogger=WARN, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.KafkaServer=INFO
log4j.logger.kafka.server.BrokerServer=INFO
CONF
}

wait_ready() {
	local boot=$1 deadline=$((SECONDS + 90))
	while [ $SECONDS -lt $deadline ]; do
		if ! pid_alive; then
			# another process took a port between the probe and the bind: the caller retries
			[ "${2:-}" != --retry-bind ] || ! tail -n 60 "$DIR/broker.log" | grep -q 'Address already in use' || return 2
			tail -n 30 "$DIR/broker.log" >&2
			die "broker exited during start (log: $DIR/broker.log)"
		fi
		if kcat -L -b "$boot" -m 2 -J 2>/dev/null | grep -q '"brokers":\[{'; then
			return 0
		fi
		sleep 0.1   # polling interval while the JVM starts (it is part of the measured outage); the deadline bounds it
	done
	die "broker did not answer metadata within 90 s (log: $DIR/broker.log)"
}

launch() {
	setsid java -Xmx"$HEAP" -XX:+UseSerialGC -cp "$LIBS/*" \
		-Dlog4j.configuration="file:$DIR/log4j.properties" \
		kafka.Kafka "$DIR/server.properties" >>"$DIR/broker.log" 2>&1 </dev/null &
	echo $! >"$DIR/broker.pid"
}

watchdog() {
	local watched=$1 broker
	broker=$(cat "$DIR/broker.pid")
	# Detached so it outlives this script. It knows only the pid of *this* broker:
	# a later broker in the same directory is never touched.
	setsid bash -c '
		while kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; do
			sleep 2
		done
		kill -0 "$2" 2>/dev/null || exit 0
		kill -TERM "$2" 2>/dev/null
		for _ in $(seq 1 300); do kill -0 "$2" 2>/dev/null || exit 0; sleep 0.1; done
		kill -KILL "$2" 2>/dev/null' watchdog "$watched" "$broker" </dev/null >/dev/null 2>&1 &
}

start() {
	local fresh=0 watch="" sasl=0
	while [ $# -gt 0 ]; do
		case $1 in
		--fresh) fresh=1 ;;
		--watch-pid) watch=$2; shift ;;
		--watch-parent) watch=$PPID ;;
		--sasl) sasl=1 ;;
		*) die "start: unknown option $1" ;;
		esac
		shift
	done
	command -v java >/dev/null || die "java not found: run tools/bootstrap.sh first"
	command -v kcat >/dev/null || die "kcat not found: run tools/bootstrap.sh first"
	fetch
	if pid_alive; then
		[ $fresh = 1 ] || { cat "$DIR/bootstrap"; return 0; }
		stop
	fi
	[ $fresh = 1 ] && rm -rf "$DIR"
	mkdir -p "$DIR"
	local t0=$SECONDS port cport sport=""
	pick_ports() {
		port=$(free_port)
		cport=$(free_port)
		while [ "$cport" = "$port" ]; do cport=$(free_port); done
		if [ $sasl = 1 ]; then
			sport=$(free_port)
			while [ "$sport" = "$port" ] || [ "$sport" = "$cport" ]; do sport=$(free_port); done
		fi
		write_config "$port" "$cport" "$sport"
		echo "$port $cport $sport" >"$DIR/ports"
	}
	pick_ports
	if [ ! -f "$DIR/data/meta.properties" ]; then
		local id
		# a leading '-' would read as an option to StorageTool's -t
		id=-
		while [ "${id#-}" != "$id" ]; do
			id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
		done
		local scram=()
		if [ $sasl = 1 ]; then
			# Owner-only: the password is a secret even on a test machine.
			(umask 077 && head -c 12 /dev/urandom | base64 | tr -d '+/=' >"$DIR/sasl.password")
			scram=(--add-scram "SCRAM-SHA-256=[name=stemtag,password=$(cat "$DIR/sasl.password")]")
		fi
		java_run kafka.tools.StorageTool format -t "$id" -c "$DIR/server.properties" "${scram[@]}" \
			>>"$DIR/format.log" 2>&1 || { cat "$DIR/format.log" >&2; die "storage format failed"; }
	fi
	local ts
	local attempt rc
	for attempt in 1 2 3; do
		ts=$(now_ms)
		launch
		rc=0
		wait_ready "127.0.0.1:$port" --retry-bind || rc=$?
		[ $rc = 2 ] || break
		say "a port was taken between the probe and the bind (attempt $attempt): new ports"
		pick_ports
	done
	[ $rc = 0 ] || die "broker could not bind its ports (log: $DIR/broker.log)"
	echo $(($(now_ms) - ts)) >"$DIR/start.ms"
	cat "$DIR/start.ms" >>"$DIR/start.history"
	echo "127.0.0.1:$port" >"$DIR/bootstrap"
	[ -z "$sport" ] || echo "127.0.0.1:$sport" >"$DIR/bootstrap.sasl"
	[ -z "$watch" ] || { echo "$watch" >"$DIR/watch.pid"; watchdog "$watch"; }
	say "broker up at 127.0.0.1:$port in $((SECONDS - t0)) s (dir $DIR)"
	echo "127.0.0.1:$port"
}

stop() {
	if ! pid_alive; then
		rm -f "$DIR/bootstrap" "$DIR/bootstrap.sasl"
		return 0
	fi
	local pid
	pid=$(cat "$DIR/broker.pid")
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 1 300); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		say "broker $pid ignored SIGTERM for 30 s; killing"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$DIR/bootstrap" "$DIR/bootstrap.sasl" "$DIR/broker.pid"
}

# Same ports and data: for the broker-outage tests.
now_ms() { echo $(($(date +%s%N) / 1000000)); }

restart_same() {
	local port cport sport down=0 t0 t1 t2 t3 est wait_ms
	while [ $# -gt 0 ]; do
		case $1 in
		--down-seconds) down=$2; shift ;;
		*) die "restart: unknown option $1" ;;
		esac
		shift
	done
	[ -f "$DIR/ports" ] || die "restart: no previous broker in $DIR"
	read -r port cport sport <"$DIR/ports"
	t0=$(now_ms)
	stop
	t1=$(now_ms)
	# The outage itself, not a synchronisation. Start-up time is estimated
	# from the slowest start seen in this directory (a start after the first is
	# often slower: the machine is busy with the test), so that stop + pause +
	# start is about N s and rarely more; the real figure is measured below.
	est=$(sort -n "$DIR/start.history" 2>/dev/null | tail -1)
	[ -n "$est" ] || est=$(cat "$DIR/start.ms" 2>/dev/null || echo 4000)
	wait_ms=$((down * 1000 - (t1 - t0) - est))
	if [ "$down" -gt 0 ] && [ $wait_ms -gt 0 ]; then
		sleep "$((wait_ms / 1000)).$(printf '%03d' $((wait_ms % 1000)))"
	fi
	t2=$(now_ms)
	launch
	wait_ready "127.0.0.1:$port"
	t3=$(now_ms)
	echo $((t3 - t2)) >"$DIR/start.ms"
	echo $((t3 - t2)) >>"$DIR/start.history"
	echo $((t3 - t0)) >"$DIR/outage.ms"
	echo "127.0.0.1:$port" >"$DIR/bootstrap"
	[ -z "$sport" ] || echo "127.0.0.1:$sport" >"$DIR/bootstrap.sasl"
	# the old watchdog knows only the old broker's pid: watch the new one
	if [ -f "$DIR/watch.pid" ] && kill -0 "$(cat "$DIR/watch.pid")" 2>/dev/null; then
		watchdog "$(cat "$DIR/watch.pid")"
	fi
	say "restart: stop $((t1 - t0)) ms, down $((t2 - t1)) ms, start $((t3 - t2)) ms (estimated $est); unavailable $((t3 - t0)) ms (asked $((down * 1000)) ms)"
	echo "127.0.0.1:$port"
}

status() {
	if pid_alive && [ -f "$DIR/bootstrap" ]; then
		echo "running $(cat "$DIR/bootstrap")"
	else
		echo stopped
		return 1
	fi
}

create_topic() {
	local name="" parts="" configs=()
	while [ $# -gt 0 ]; do
		case $1 in
		--config)
			[ $# -ge 2 ] && [[ $2 == ?*=* ]] || die "create-topic: --config needs KEY=VALUE"
			configs+=(--config "$2")
			shift
			;;
		--config=*) configs+=(--config "${1#--config=}") ;;
		-*) die "create-topic: unknown option $1" ;;
		*) if [ -z "$name" ]; then name=$1; elif [ -z "$parts" ]; then parts=$1; else die "create-topic: unexpected $1"; fi ;;
		esac
		shift
	done
	[ -n "$name" ] || die "create-topic: NAME missing"
	[ -f "$DIR/bootstrap" ] || die "no broker running in $DIR"
	java_run org.apache.kafka.tools.TopicCommand --bootstrap-server "$(cat "$DIR/bootstrap")" \
		--create --if-not-exists --topic "$name" --partitions "${parts:-1}" --replication-factor 1 \
		"${configs[@]+"${configs[@]}"}"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
args=()
while [ $# -gt 0 ]; do
	case $1 in
	--dir) DIR=$2; shift ;;
	*) args+=("$1") ;;
	esac
	shift
done
case $cmd in
fetch) fetch ;;
start) start "${args[@]+"${args[@]}"}" ;;
stop) stop ;;
restart) restart_same "${args[@]+"${args[@]}"}" ;;
status) status ;;
create-topic) create_topic "${args[@]}" ;;
*) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0" >&2; exit 2 ;;
esac
