from pathlib import Path
import os
for line in (Path(__file__).parent.parent / '.env').read_text().splitlines():
    k, _, v = line.partition('=')
    os.environ.setdefault(k, v)
key = os.environ.get('OPENWEATHER_KEY')
