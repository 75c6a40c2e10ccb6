"""``shanzhi rotate_field_key``: re-seal every sealed personal-data field under one key.

Every model field named ``<name>_sealed`` (an SM4 ciphertext from shanzhi.core.crypto)
is re-sealed under the target key, and its keyed lookup hash ``<name>_hash`` (if the
model has one) recomputed under the same key. Values are opened with whichever key
sealed them (current, retired, or the target itself), so the command is resumable:
run it again after an interruption and it carries on with the rows not yet done.

Online rotation (the service keeps running):
  1. put the new key in a file; set SHANZHI_FIELD_KEY_FILE to it and move the old key
     to SHANZHI_FIELD_KEY_OLD; restart the service;
  2. ``shanzhi rotate_field_key`` (the target is the current key);
  3. when it reports 0 rows left, remove SHANZHI_FIELD_KEY_OLD and restart.
Offline (service stopped): ``shanzhi rotate_field_key --new-key-file PATH``, then make
that key current as in step 1 and start the service.
"""

from __future__ import annotations

import time

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from shanzhi.core import audit, crypto

SUFFIX = "_sealed"


def sealed_fields() -> list[tuple[type, str, str | None]]:
    """(model, sealed field, lookup hash field or None) for every sealed field of every model."""
    found = []
    for model in apps.get_models():
        names = {f.name for f in model._meta.concrete_fields}
        for name in sorted(names):
            if name.endswith(SUFFIX):
                hash_field = name[: -len(SUFFIX)] + "_hash"
                found.append((model, name, hash_field if hash_field in names else None))
    return found


class Command(BaseCommand):
    help = "Re-seal every sealed personal-data field (ID numbers) under a new key, in resumable batches."

    def add_arguments(self, parser):
        parser.add_argument(
            "--new-key-file", help="file with the target key (64 hex characters); default: the current key"
        )
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument("--dry-run", action="store_true", help="only count the rows still to do")

    def handle(self, *args, new_key_file, batch_size, dry_run, **options):
        material = settings.SHANZHI_FIELD_KEY
        if new_key_file:
            try:
                material = crypto.read_key_file(new_key_file)
            except crypto.KeyMaterialError as exc:
                raise CommandError(str(exc)) from None
        target_id = crypto.key_id_for(material)
        ring = crypto.keyring()
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        if target_id != crypto.current_key_id():
            self.stderr.write(
                f"目标密钥 {target_id} 不是当前密钥 {crypto.current_key_id()}:完成后须把它设为 SHANZHI_FIELD_KEY(_FILE) 再启动服务。"
            )
        started, total = time.perf_counter(), 0
        for model, field, hash_field in sealed_fields():
            label = f"{model._meta.label}.{field}"
            pending = model._default_manager.exclude(**{f"{field}__startswith": f"{crypto.PREFIX}:{target_id}:"})
            pending = pending.exclude(**{field: ""})
            left = pending.count()
            if dry_run:
                self.stdout.write(f"{label}:待轮换 {left} 行(目标密钥 {target_id})")
                continue
            done = 0
            while True:
                with transaction.atomic():
                    batch = list(pending.order_by("pk").select_for_update()[:batch_size])
                    if not batch:
                        break
                    for row in batch:
                        sealed = getattr(row, field)
                        key_id = crypto.key_id_of(sealed)
                        if key_id not in ring:
                            raise CommandError(
                                f"{label} 第 {row.pk} 行由未知密钥 {key_id} 加密:请把该密钥加入 SHANZHI_FIELD_KEY_OLD 后重试"
                            )
                        try:
                            plain = crypto.decrypt(sealed)
                        except crypto.DecryptionError as exc:
                            raise CommandError(f"{label} 第 {row.pk} 行无法解密:{exc}") from None
                        setattr(row, field, crypto.encrypt(plain, material=material))
                        if hash_field:
                            setattr(row, hash_field, crypto.lookup_hash(plain, material=material))
                    model._default_manager.bulk_update(batch, [field] + ([hash_field] if hash_field else []))
                done += len(batch)
                self.stdout.write(f"  {label}:{done}/{left}")
            total += done
            if done:
                audit.record(
                    "core.field_key.rotated",
                    object_type=model._meta.label_lower,
                    field=field,
                    rows=done,
                    key_id=target_id,
                )
        if not dry_run:
            seconds = time.perf_counter() - started
            self.stdout.write(
                self.style.SUCCESS(f"密钥轮换完成:{total} 行改用密钥 {target_id} 加密({seconds:.1f} 秒);剩余 0 行。")
            )
