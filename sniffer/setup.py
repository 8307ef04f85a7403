"""What the user gives an analysis besides the captures: ``--trust``, ``--oem-key``, ``--keylog``.

Paths, not loaded objects: the setup crosses process boundaries (``report --jobs``, Dask workers)
and each process loads the files itself; the cache keys an analysis by their contents.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from v2gsniff.sniffer.pnc.checker import PncChecker
    from v2gsniff.sniffer.streams.tls.keylog import KeyLog


class AnalysisSetup(NamedTuple):
    """(A NamedTuple: every decode makes one, and a frozen dataclass costs start-up its exec'd methods.)"""

    trust: tuple[str, ...] = ()
    """Root certificates the Plug & Charge chains are verified against (files or folders)."""
    oem_key: str | None = None
    """OEM provisioning private key: contract keys of CertificateInstallationRes are decrypted."""
    keylogs: tuple[str, ...] = ()
    """NSS key-log files: the TLS secrets of the captures (besides those the captures carry)."""

    def checker(self) -> PncChecker:
        """A checker with these roots and key; OSError/ValueError when a file cannot be used."""
        from v2gsniff.sniffer.pnc.checker import PncChecker

        if not (self.trust or self.oem_key):
            return PncChecker()  # cryptography loads with the first certificate (start-up)
        from v2gsniff.sniffer.pnc.chains import TrustStore
        from v2gsniff.sniffer.pnc.oemkey import load_key

        return PncChecker(TrustStore.load(self.trust) if self.trust else None,
                          load_key(self.oem_key) if self.oem_key else None)

    def keylog(self) -> KeyLog:
        """One key log of every ``keylogs`` file (unknown labels and bad lines skipped); OSError when
        a file cannot be read."""
        from v2gsniff.sniffer.streams.tls.keylog import KeyLog

        log = KeyLog()
        for path in self.keylogs:
            log.add_file(path)
        return log
