# syntax=docker/dockerfile:1
# The loopus server image: the runnable distribution (server/target/classes + server/target/lib, launched by
# bin/loopus) on a Java 17 runtime, no Maven. Build from the project root:
#   docker build -t loopus:0.1.0 .
# Every pod of k8s/ runs it as `bin/loopus serve --model /models/... --role ROLE[,ROLE] --host 0.0.0.0`.

# --- builder: the Maven package of the whole reactor --------------------------------------------------------
FROM eclipse-temurin:17-jdk AS builder
WORKDIR /src
COPY mvnw pom.xml ./
COPY .mvn/ .mvn/
COPY proto/ proto/
COPY worker/ worker/
COPY trainer/ trainer/
COPY server/ server/
COPY bin/ bin/
# The stamp tells bin/loopus the distribution is built (the runtime image also sets LOOPUS_NO_BUILD).
RUN --mount=type=cache,target=/root/.m2 \
    ./mvnw -B -ntp -DskipTests package \
 && test -d server/target/classes && test -d server/target/lib \
 && touch server/target/lib/.built

# --- runtime: JRE + distribution, non-root ------------------------------------------------------------------
FROM eclipse-temurin:17-jre
# uid/gid 10001 (k8s/base runs the pods as runAsUser 10001); its home holds the native-library caches
# (JavaCPP's OpenBLAS, DJL's tokenizers), so it must stay writable (k8s mounts an emptyDir there).
RUN groupadd --gid 10001 loopus \
 && useradd --uid 10001 --gid 10001 --create-home --home-dir /home/loopus --shell /usr/sbin/nologin loopus
WORKDIR /opt/loopus
COPY --from=builder /src/bin/loopus bin/loopus
COPY --from=builder /src/server/target/classes server/target/classes
COPY --from=builder /src/server/target/lib server/target/lib
# bin/loopus runs what is there and never tries to build (no sources, no Maven in this image).
ENV LOOPUS_NO_BUILD=1
USER 10001:10001
# gRPC (loopus.server.port), Artery TCP (pekko.remote.artery.canonical.port), Pekko Management HTTP
# (pekko.management.http.port: /ready, /alive, cluster bootstrap): reference.conf and cluster.conf.
EXPOSE 50051 25520 8558
ENTRYPOINT ["/opt/loopus/bin/loopus"]
CMD ["serve", "--help"]
