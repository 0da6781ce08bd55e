"""Calls every operation of the Python client that openapi-generator's `python` generator made from the committed
OpenAPI snapshot, the way its README shows: no `_content_type`, `_headers` or other override.

Usage: call_every_operation.py BASE_URL INPUTS_DIR

Prints one JSON document: the operations the generated client has, the ones this script did not call, and for
each call either what the client returned (as the generated model's to_dict(), with the model's class name) or the
exception it raised. PythonClientIT checks the numbers; this script only makes the calls, and carries on after a
failed one so that a broken contract shows every operation it breaks.
"""
import datetime
import inspect
import json
import pathlib
import sys

import speaker_embedding_client as client_package
from speaker_embedding_client import ApiClient, ApiException, Configuration
from speaker_embedding_client import EmbeddingPair, EmbeddingsApi, ModelApi, StatusApi, VerificationApi
from speaker_embedding_client import EmbeddingEnrollment, ModelIdentity, NewSpeaker, SpeakersApi

GENERATED_SUFFIXES = ("_with_http_info", "_without_preload_content")


def operations_of(api_class):
    return {name for name, _ in inspect.getmembers(api_class, inspect.isfunction)
            if not name.startswith("_") and not name.endswith(GENERATED_SUFFIXES)}


def plain(value):
    if hasattr(value, "to_dict"):
        return value.to_dict()
    return value


def json_default(value):
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


class Calls:
    def __init__(self):
        self.called = set()
        self.results = {}

    def call(self, key, api, operation, *args, **kwargs):
        """Calls api.operation; records what it returned, or the exception, under key. Returns the value or None."""
        self.called.add(operation)
        try:
            value = getattr(api, operation)(*args, **kwargs)
        except ApiException as e:
            self.results[key] = {"operation": operation, "exception": type(e).__name__, "status": e.status,
                                 "body": e.body,
                                 "data_type": type(e.data).__name__ if e.data is not None else None}
            return None
        except Exception as e:  # anything else the client raises is a broken contract too: report it
            self.results[key] = {"operation": operation, "exception": type(e).__name__, "message": str(e)}
            return None
        self.results[key] = {"operation": operation, "type": type(value).__name__, "value": plain(value)}
        return value


def main(base_url, inputs_dir):
    inputs = pathlib.Path(inputs_dir)

    def wav(name):
        return str(inputs / name)

    api_classes = [getattr(client_package, name) for name in client_package.__all__ if name.endswith("Api")]
    operations = set()
    for api_class in api_classes:
        operations |= operations_of(api_class)

    calls = Calls()
    with ApiClient(Configuration(host=base_url)) as api_client:
        status = StatusApi(api_client)
        model = ModelApi(api_client)
        embeddings = EmbeddingsApi(api_client)
        verification = VerificationApi(api_client)

        calls.call("status", status, "get_status")
        model_info = calls.call("model", model, "get_model")

        one = calls.call("embed_one", embeddings, "create_embeddings", files=[wav("speech_espeak_en.wav")])
        calls.call("embed_batch", embeddings, "create_embeddings",
                   files=[wav("chirp_1s.wav"), wav("speech_8k_s16_mono.wav")], unit_length=True)
        calls.call("embed_normalized", embeddings, "create_embeddings", files=[wav("speech_espeak_en.wav")],
                   normalize=True)
        calls.call("embed_silence", embeddings, "create_embeddings", files=[wav("silence_1s_16k_s16.wav")])

        calls.call("verify_files", verification, "verify_speakers", a=wav("chirp_1s.wav"),
                   b=wav("speech_espeak_en_f3.wav"))
        calls.call("verify_same_file", verification, "verify_speakers", a=wav("noise_3s.wav"),
                   b=wav("noise_3s.wav"), threshold=0.999)

        chirp = calls.call("embed_chirp", embeddings, "create_embeddings", files=[wav("chirp_1s.wav")])
        f3 = calls.call("embed_f3", embeddings, "create_embeddings", files=[wav("speech_espeak_en_f3.wav")])
        if chirp is not None and f3 is not None:
            pair = EmbeddingPair(a=chirp.data[0].embedding, b=f3.data[0].embedding)
            calls.call("compare", verification, "compare_embeddings", embedding_pair=pair)
            calls.call("compare_strict", verification, "compare_embeddings", embedding_pair=pair, threshold=0.99)
        if one is not None:
            vector = one.data[0].embedding
            calls.call("compare_mismatched", verification, "compare_embeddings",
                       embedding_pair=EmbeddingPair(a=vector, b=vector[:-1]))

        speakers = SpeakersApi(api_client)
        a = calls.call("create_speaker", speakers, "create_speaker",
                       new_speaker=NewSpeaker(external_id="python-a", metadata={"team": "green"}))
        b = calls.call("create_speaker_empty", speakers, "create_speaker", new_speaker=NewSpeaker())
        if a is not None and b is not None:
            calls.call("enroll", speakers, "enroll_speaker", id=a.id, audio=[wav("speech_espeak_en.wav")])
            calls.call("get_speaker", speakers, "get_speaker", id=a.id)
            calls.call("list_speakers", speakers, "list_speakers", external_id="python-a")
            enrollments = calls.call("list_enrollments", speakers, "list_enrollments", id=a.id)
            calls.call("verify_speaker_same", speakers, "verify_speaker", id=a.id, audio=wav("speech_espeak_en.wav"))
            calls.call("verify_speaker_other", speakers, "verify_speaker", id=a.id,
                       audio=wav("speech_espeak_en_f3.wav"), threshold=0.999)
            calls.call("verify_not_enrolled", speakers, "verify_speaker", id=b.id, audio=wav("speech_espeak_en.wav"))
            calls.call("identify", speakers, "identify_speaker", audio=wav("speech_espeak_en.wav"), top=2)
            if one is not None and model_info is not None:
                # The identity of the model being served, from get_model: the embedding came from it.
                identity = dict(family="speechbrain-ecapa", repo=model_info.model, commit=model_info.commit,
                                dimension=model_info.dimension, normalization="raw", precision="fp32")
                item = one.data[0]

                def embedding_enrollment(**changed):
                    return EmbeddingEnrollment(embedding=item.embedding, model=ModelIdentity(**dict(identity, **changed)),
                                               duration_seconds=item.duration_seconds,
                                               speech_seconds=item.duration_seconds)

                calls.call("enroll_embedding_other_model", speakers, "enroll_speaker_embedding", id=b.id,
                           embedding_enrollment=embedding_enrollment(commit="f" * 40))
                calls.call("enroll_embedding", speakers, "enroll_speaker_embedding", id=b.id,
                           embedding_enrollment=embedding_enrollment())
                calls.call("verify_embedding_enrolled", speakers, "verify_speaker", id=b.id,
                           audio=wav("speech_espeak_en.wav"))
            if enrollments is not None and enrollments.enrollments:
                calls.call("delete_enrollment", speakers, "delete_enrollment", id=a.id,
                           enrollment_id=enrollments.enrollments[0].id)
            calls.call("enroll_batch", speakers, "enroll_speaker", id=a.id,
                       audio=[wav("speech_espeak_en.wav"), wav("speech_espeak_en_f3.wav")])
            calls.call("reset_enrollments", speakers, "reset_enrollments", id=a.id)
            calls.call("delete_speaker", speakers, "delete_speaker", id=a.id)
            calls.call("get_deleted_speaker", speakers, "get_speaker", id=a.id)
            calls.call("delete_speaker_empty", speakers, "delete_speaker", id=b.id)

    report = {"operations": sorted(operations), "uncalled": sorted(operations - calls.called),
              "results": calls.results}
    # allow_nan=False: a NaN or an infinity anywhere fails here instead of reaching the checks as a number.
    print(json.dumps(report, default=json_default, allow_nan=False))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
