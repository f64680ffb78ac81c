import os, sys, urllib.parse, urllib.request
token = os.environ['TELEGRAM_BOT_TOKEN']
chat = os.environ['TELEGRAM_CHAT_ID']
data = urllib.parse.urlencode({'chat_id': chat, 'text': sys.argv[1]}).encode()
urllib.request.urlopen(f'https://api.telegram.org/bot{token}/sendMessage', data=data, timeout=10)
