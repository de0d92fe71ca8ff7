"""The WeChat official account channel (docs/wechat.md).

``security`` (signatures, timestamp window, nonce cache, XML screening), ``crypto`` (safe
mode's AES), ``messages`` (XML in, texts and numbered choices out), ``api`` (access token,
客服消息, media, menu), ``store`` (what is kept in Redis), ``service`` (the callback and the
5-second rule), ``menu`` and ``cli`` (the account's menu). The adapter is
:mod:`channels.adapters.wechat`, the route :mod:`channels.routes.wechat`.
"""
