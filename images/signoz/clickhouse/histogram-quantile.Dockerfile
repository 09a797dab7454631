# SigNoz's histogramQuantile ClickHouse helper (release histogram-quantile/v<version>), fetched
# from the SigNoz release for the build's architecture (amd64 or arm64: `--platform`) and
# checked against that archive's sha256 pinned in versions.yaml. Not a service
# image: it only carries the one executable for user_scripts/ (see user_scripts/README.md):
#
#   docker build -f images/signoz/clickhouse/histogram-quantile.Dockerfile -t delphi-hq \
#       images/signoz/clickhouse
#   docker create --name delphi-hq delphi-hq /histogramQuantile
#   docker cp delphi-hq:/histogramQuantile images/signoz/clickhouse/user_scripts/histogramQuantile
#   docker rm delphi-hq
#
# Versions and checksums below are written by `python -m release refresh` from versions.yaml.

# Debian packages come from snapshot.debian.org as the archive was at DEBIAN_SNAPSHOT
# (versions.yaml's debian-snapshot, moved by refresh), so every build of one commit installs
# the same package versions.
ARG DEBIAN_SNAPSHOT=20260803T000000Z

FROM debian:trixie-20260803-slim@sha256:3a39a0592364683e6bab97937b72cad5a8fa6dcbbee90edb3bb48c7f8e94f258 AS fetch

SHELL ["/bin/bash", "-o", "pipefail", "-c"]

ARG DEBIAN_SNAPSHOT
RUN sed -i \
        -e "s|http://deb.debian.org/debian-security|http://snapshot.debian.org/archive/debian-security/${DEBIAN_SNAPSHOT}|" \
        -e "s|http://deb.debian.org/debian|http://snapshot.debian.org/archive/debian/${DEBIAN_SNAPSHOT}|" \
        /etc/apt/sources.list.d/debian.sources \
 && echo 'Acquire::Check-Valid-Until "false";' > /etc/apt/apt.conf.d/80snapshot

RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* /var/log/apt/* /var/log/dpkg.log /var/log/alternatives.log /var/cache/ldconfig/aux-cache

ARG HISTOGRAM_QUANTILE_VERSION=0.0.1
# One archive per architecture (SigNoz's goreleaser builds linux/amd64 and linux/arm64), each
# with its own pinned sha256: histogram-quantile and histogram-quantile-arm64 in versions.yaml.
ARG HISTOGRAM_QUANTILE_SHA256=33997073eb6d82b7be4f27f9fc8ec9e28a395e0f20674d5d54bb2fa28a75488d
ARG HISTOGRAM_QUANTILE_ARM64_SHA256=e5605ebffa82a450ebbcdf6cf19dad546e1e40d52dbf3e03cfd2d2d5b7394211
# Set by BuildKit (`--platform`); the classic builder leaves it empty: the engine's own.
ARG TARGETARCH

WORKDIR /usr/src
RUN arch="${TARGETARCH:-$(dpkg --print-architecture)}" \
 && case "${arch}" in \
        amd64) sha256="${HISTOGRAM_QUANTILE_SHA256}" ;; \
        arm64) sha256="${HISTOGRAM_QUANTILE_ARM64_SHA256}" ;; \
        *) echo "histogram-quantile: no pinned archive for ${arch}" >&2; exit 1 ;; \
    esac \
 && curl -fsSL --retry 3 -o histogram-quantile.tar.gz \
        "https://github.com/SigNoz/signoz/releases/download/histogram-quantile/v${HISTOGRAM_QUANTILE_VERSION}/histogram-quantile_linux_${arch}.tar.gz" \
 && echo "${sha256}  histogram-quantile.tar.gz" | sha256sum -c - \
 && tar -xzf histogram-quantile.tar.gz histogram-quantile \
 && install -D -m 0755 histogram-quantile /out/histogramQuantile \
 && rm histogram-quantile.tar.gz histogram-quantile


FROM scratch

LABEL org.opencontainers.image.title="delphi-histogram-quantile" \
      org.opencontainers.image.description="SigNoz's histogramQuantile ClickHouse helper, for user_scripts/" \
      org.opencontainers.image.vendor="Delphi"

COPY --from=fetch /out/histogramQuantile /histogramQuantile
