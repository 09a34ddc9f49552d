"""Installs a minimal stand-in for `opentelemetry-semantic-conventions` into the running venv.

Only needed on a machine whose package mirror lacks that package (as where these examples were
made): wandb 0.30 imports the OpenTelemetry SDK, which imports it, so `import wandb` fails
without it. wandb uses it only for its own telemetry, which offline mode never sends; the run
files are written by wandb-core either way. With normal package access, `pip install wandb`
brings the real package and this script is not needed.

Usage: /path/to/venv/bin/python offline_otel_semconv.py
"""
from __future__ import annotations

import sysconfig
from pathlib import Path

FILES = {
    "__init__.py": "",
    "_standin.py": '''\
def name_of(attr):
    # The spec's naming rule: CONSTANT_NAME -> "constant.name".
    return attr.lower().replace("_", ".")


def module_getattr(attr):
    if attr.startswith("__"):
        raise AttributeError(attr)
    if attr.startswith("create_"):
        metric = name_of(attr[len("create_"):])

        def create(meter):
            if metric.endswith((".live", ".size", ".capacity", ".inflight")):
                return meter.create_up_down_counter(name=metric, description=metric, unit="1")
            if metric.endswith(".duration"):
                return meter.create_histogram(name=metric, description=metric, unit="s")
            return meter.create_counter(name=metric, description=metric, unit="1")

        return create
    return name_of(attr)
''',
    "attributes/__init__.py": "from . import code_attributes, error_attributes, exception_attributes, http_attributes\n",
    "attributes/code_attributes.py": "from opentelemetry.semconv._standin import module_getattr as __getattr__\n",
    "attributes/error_attributes.py": "from opentelemetry.semconv._standin import module_getattr as __getattr__\n",
    "attributes/exception_attributes.py": "from opentelemetry.semconv._standin import module_getattr as __getattr__\n",
    "attributes/http_attributes.py": "from opentelemetry.semconv._standin import module_getattr as __getattr__\n",
    "_incubating/__init__.py": "",
    "_incubating/metrics/__init__.py": "",
    "_incubating/metrics/otel_metrics.py": "from opentelemetry.semconv._standin import module_getattr as __getattr__\n",
    "_incubating/attributes/__init__.py": "",
    "_incubating/attributes/otel_attributes.py": '''\
from enum import Enum

from opentelemetry.semconv._standin import module_getattr as __getattr__

OTEL_SPAN_SAMPLING_RESULT = "otel.span.sampling_result"
OTEL_SPAN_PARENT_ORIGIN = "otel.span.parent.origin"


class OtelComponentTypeValues(Enum):
    BATCHING_SPAN_PROCESSOR = "batching_span_processor"
    SIMPLE_SPAN_PROCESSOR = "simple_span_processor"
    BATCHING_LOG_PROCESSOR = "batching_log_processor"
    SIMPLE_LOG_PROCESSOR = "simple_log_processor"
    OTLP_GRPC_SPAN_EXPORTER = "otlp_grpc_span_exporter"
    OTLP_HTTP_SPAN_EXPORTER = "otlp_http_span_exporter"
    OTLP_HTTP_JSON_SPAN_EXPORTER = "otlp_http_json_span_exporter"
    OTLP_GRPC_LOG_EXPORTER = "otlp_grpc_log_exporter"
    OTLP_HTTP_LOG_EXPORTER = "otlp_http_log_exporter"
    OTLP_HTTP_JSON_LOG_EXPORTER = "otlp_http_json_log_exporter"
    PERIODIC_METRIC_READER = "periodic_metric_reader"
    OTLP_GRPC_METRIC_EXPORTER = "otlp_grpc_metric_exporter"
    OTLP_HTTP_METRIC_EXPORTER = "otlp_http_metric_exporter"
    OTLP_HTTP_JSON_METRIC_EXPORTER = "otlp_http_json_metric_exporter"


class OtelSpanSamplingResultValues(Enum):
    DROP = "DROP"
    RECORD_ONLY = "RECORD_ONLY"
    RECORD_AND_SAMPLE = "RECORD_AND_SAMPLE"
''',
    "resource/__init__.py": '''\
from opentelemetry.semconv._standin import name_of


class _Names(type):
    def __getattr__(cls, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        return name_of(attr)


class ResourceAttributes(metaclass=_Names):
    SERVICE_NAME = "service.name"
    TELEMETRY_SDK_LANGUAGE = "telemetry.sdk.language"
    TELEMETRY_SDK_NAME = "telemetry.sdk.name"
    TELEMETRY_SDK_VERSION = "telemetry.sdk.version"
''',
}


def main() -> None:
    root = Path(sysconfig.get_paths()["purelib"]) / "opentelemetry" / "semconv"
    for rel, text in FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    print(f"wrote {len(FILES)} files under {root}")


if __name__ == "__main__":
    main()
