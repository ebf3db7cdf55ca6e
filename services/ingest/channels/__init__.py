"""Channel adapters, one per file; ``ADAPTERS`` maps channel name -> adapter."""

from services.ingest.channels.ads import AdsAdapter
from services.ingest.channels.base import CanonicalFields, ChannelAdapter
from services.ingest.channels.chat import ChatAdapter
from services.ingest.channels.crm import CrmAdapter

ADAPTERS: dict[str, ChannelAdapter] = {
    a.name: a for a in (ChatAdapter(), CrmAdapter(), AdsAdapter())
}

__all__ = [
    "ADAPTERS",
    "AdsAdapter",
    "CanonicalFields",
    "ChannelAdapter",
    "ChatAdapter",
    "CrmAdapter",
]
