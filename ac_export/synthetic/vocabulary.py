"""Word lists the generator samples from: names, email domains, streets, cities, area codes, categories.

Categorical values that segments and source mappings name (loyalty tiers, occupations, review texts)
are exactly Contoso's, so configurations written for the demo data select people in generated data too.
"""

from __future__ import annotations

MALE_FIRST_NAMES: tuple[str, ...] = (
    "James", "John", "Robert", "Michael", "William", "David", "Richard", "Joseph", "Thomas", "Charles",
    "Christopher", "Daniel", "Matthew", "Anthony", "Mark", "Donald", "Steven", "Paul", "Andrew", "Joshua",
    "Kenneth", "Kevin", "Brian", "George", "Timothy", "Ronald", "Edward", "Jason", "Jeffrey", "Ryan",
    "Jacob", "Gary", "Nicholas", "Eric", "Jonathan", "Stephen", "Larry", "Justin", "Scott", "Brandon",
    "Benjamin", "Samuel", "Gregory", "Alexander", "Frank", "Patrick", "Raymond", "Jack", "Dennis", "Jerry",
    "Tyler", "Aaron", "Jose", "Adam", "Nathan", "Henry", "Douglas", "Zachary", "Peter", "Kyle",
    "Ethan", "Walter", "Noah", "Jeremy", "Christian", "Keith", "Roger", "Terry", "Gerald", "Harold",
    "Sean", "Austin", "Carl", "Arthur", "Lawrence", "Dylan", "Jesse", "Jordan", "Bryan", "Billy",
    "Joe", "Bruce", "Gabriel", "Logan", "Albert", "Willie", "Alan", "Juan", "Wayne", "Elijah",
    "Randy", "Roy", "Vincent", "Ralph", "Eugene", "Russell", "Bobby", "Mason", "Philip", "Louis",
)  # fmt: skip

FEMALE_FIRST_NAMES: tuple[str, ...] = (
    "Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica", "Sarah", "Karen",
    "Lisa", "Nancy", "Betty", "Margaret", "Sandra", "Ashley", "Kimberly", "Emily", "Donna", "Michelle",
    "Carol", "Amanda", "Dorothy", "Melissa", "Deborah", "Stephanie", "Rebecca", "Sharon", "Laura", "Cynthia",
    "Kathleen", "Amy", "Angela", "Shirley", "Anna", "Brenda", "Pamela", "Emma", "Nicole", "Helen",
    "Samantha", "Katherine", "Christine", "Debra", "Rachel", "Carolyn", "Janet", "Catherine", "Maria",
    "Heather", "Diane", "Ruth", "Julie", "Olivia", "Joyce", "Virginia", "Victoria", "Kelly", "Lauren",
    "Christina", "Joan", "Evelyn", "Judith", "Megan", "Andrea", "Cheryl", "Hannah", "Jacqueline", "Martha",
    "Gloria", "Teresa", "Ann", "Sara", "Madison", "Frances", "Kathryn", "Janice", "Jean", "Abigail",
    "Alice", "Judy", "Sophia", "Grace", "Denise", "Amber", "Doris", "Marilyn", "Danielle", "Beverly",
    "Isabella", "Theresa", "Diana", "Natalie", "Brittany", "Charlotte", "Marie", "Kayla", "Alexis", "Lori",
    "Abbie",
)  # fmt: skip

# Common US surnames, most frequent first: the generator draws them with Zipf-like weights.
COMMON_LAST_NAMES: tuple[str, ...] = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
    "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
    "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
    "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts",
    "Gomez", "Phillips", "Evans", "Turner", "Diaz", "Parker", "Cruz", "Edwards", "Collins", "Reyes",
    "Stewart", "Morris", "Morales", "Murphy", "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper",
    "Peterson", "Bailey", "Reed", "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson",
    "Watson", "Brooks", "Chavez", "Wood", "James", "Bennett", "Gray", "Mendoza", "Ruiz", "Hughes",
    "Price", "Alvarez", "Castillo", "Sanders", "Patel", "Myers", "Long", "Ross", "Foster", "Jimenez",
    "Powell", "Jenkins", "Perry", "Russell", "Sullivan", "Bell", "Coleman", "Butler", "Henderson", "Barnes",
    "Gonzales", "Fisher", "Vasquez", "Simmons", "Romero", "Jordan", "Patterson", "Alexander", "Hamilton",
    "Graham", "Reynolds", "Griffin", "Wallace", "Moreno", "West", "Cole", "Hayes", "Bryant", "Herrera",
    "Gibson", "Ellis", "Tran", "Medina", "Aguilar", "Stevens", "Murray", "Ford", "Castro", "Marshall",
    "Owens", "Harrison", "Fernandez", "Mcdonald", "Woods", "Washington", "Kennedy", "Wells", "Vargas",
    "Henry", "Chen", "Freeman", "Webb", "Tucker", "Guzman", "Burns", "Crawford", "Olson", "Simpson",
    "Porter", "Hunter", "Gordon", "Mendez", "Silva", "Shaw", "Snyder", "Mason", "Dixon", "Munoz",
    "Hunt", "Hicks", "Holmes", "Palmer", "Wagner", "Black", "Robertson", "Boyd", "Rose", "Stone",
    "Salazar", "Fox", "Warren", "Mills", "Meyer", "Rice", "Schmidt", "Garza", "Daniels", "Ferguson",
    "Nichols", "Stephens", "Soto", "Weaver", "Ryan", "Gardner", "Payne", "Grant", "Dunn", "Kelley",
    "Spencer", "Hawkins", "Arnold", "Pierce", "Vazquez", "Hansen", "Peters", "Santos", "Hart", "Bradley",
    "Knight", "Elliott", "Cunningham", "Duncan", "Armstrong", "Hudson", "Carroll", "Lane", "Riley",
    "Andrews", "Alvarado", "Ray", "Delgado", "Berry", "Perkins", "Hoffman", "Johnston", "Matthews", "Pena",
    "Richards", "Contreras", "Willis", "Carpenter", "Lawrence", "Sandoval", "Guerrero", "George", "Chapman",
    "Rios", "Estrada", "Ortega", "Watkins", "Greene", "Nunez", "Wheeler", "Valdez", "Harper", "Burke",
    "Larson", "Santiago", "Maldonado", "Morrison", "Franklin", "Carlson", "Austin", "Dominguez", "Carr",
    "Lawson", "Jacobs", "Obrien", "Lynch", "Singh", "Vega", "Bishop", "Montgomery", "Oliver", "Jensen",
    "Harvey", "Williamson", "Gilbert", "Dean", "Sims", "Espinoza", "Howell", "Li", "Wong", "Reid",
    "Hanson", "Le", "Mccoy", "Garrett", "Burton", "Fuller", "Wang", "Weber", "Welch", "Rojas",
    "Lucas", "Marquez", "Fields", "Park", "Yang", "Little", "Banks", "Padilla", "Day", "Walsh",
    "Bowman", "Schultz", "Luna", "Fowler", "Mejia", "Davidson", "Acosta", "Brewer", "May", "Holland",
    "Juarez", "Newman", "Pearson", "Curtis", "Cortez", "Douglas", "Schneider", "Joseph", "Barrett",
    "Navarro", "Figueroa", "Keller", "Avila", "Wade", "Molina", "Stanley", "Hopkins", "Campos", "Barnett",
    "Bates", "Chambers", "Caldwell", "Beck", "Lambert", "Miranda", "Byrd", "Craig", "Ayala", "Lowe",
    "Frazier", "Powers", "Neal", "Leonard", "Gregory", "Carrillo", "Sutton", "Fleming", "Rhodes", "Shelton",
    "Schwartz", "Norris", "Jennings", "Watts", "Duran", "Walters", "Cohen", "Mcdaniel", "Moran", "Parks",
    "Steele", "Vaughn", "Becker", "Holt", "Deleon", "Barker", "Terry", "Hale", "Leon", "Koteles",
)  # fmt: skip

# Pieces of rarer surnames (onset, vowel, middle, vowel, ending): real data has a long tail of
# names that no list holds, and matching at scale must cope with it.
SURNAME_ONSETS: tuple[str, ...] = (
    "B", "Br", "Bl", "C", "Ch", "Cl", "D", "Dr", "F", "Fl", "G", "Gr", "H", "J", "K", "Kr", "L", "M",
    "N", "P", "Pr", "R", "S", "Sh", "St", "T", "Tr", "V", "W", "Z",
)  # fmt: skip
SURNAME_VOWELS: tuple[str, ...] = ("a", "e", "i", "o", "u", "au", "ei", "ou", "ea", "io")
SURNAME_MIDDLES: tuple[str, ...] = (
    "l", "ll", "r", "rr", "n", "nn", "m", "s", "ss", "t", "tt", "d", "k", "ck", "v", "z", "nd", "rt",
    "st", "mb", "ng", "rk", "ls", "rv",
)  # fmt: skip
SURNAME_ENDINGS: tuple[str, ...] = (
    "", "r", "l", "n", "s", "z", "k", "ski", "son", "ton", "ley", "berg", "man", "ng", "rd", "tt",
    "ni", "llo", "va", "ch", "y", "nes", "ck", "les", "ff",
)  # fmt: skip

FREE_MAIL_DOMAINS: tuple[str, ...] = (
    "gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "aol.com", "icloud.com", "comcast.net",
    "msn.com", "live.com", "protonmail.com",
)  # fmt: skip

# Company-domain shapes in the style of the Contoso data (`collinsreedandhoward.com`, `smithinc.com`);
# `{a}`, `{b}`, `{c}` are lower-case surnames.
COMPANY_DOMAIN_PATTERNS: tuple[str, ...] = (
    "{a}{b}and{c}.com", "{a}inc.com", "{a}{b}.com", "{a}llc.com", "{a}-{b}.com", "{a}group.com",
    "{a}plc.com", "{a}ltd.com", "{a}andsons.com", "{a}{b}.net",
)  # fmt: skip

STREET_SUFFIXES: tuple[str, ...] = (
    "Alley", "Avenue", "Bridge", "Brook", "Burg", "Bypass", "Camp", "Canyon", "Cape", "Center", "Centers",
    "Circle", "Cliff", "Club", "Common", "Corner", "Course", "Court", "Cove", "Creek", "Crescent",
    "Crossing", "Curve", "Dale", "Divide", "Drive", "Estates", "Expressway", "Extension", "Falls", "Ferry",
    "Field", "Flat", "Ford", "Fords", "Forest", "Forge", "Fork", "Fort", "Freeway", "Garden", "Gateway",
    "Glen", "Green", "Greens", "Grove", "Groves", "Harbor", "Haven", "Heights", "Highway", "Hill",
    "Hollow", "Inlet", "Island", "Junction", "Key", "Keys", "Knoll", "Lake", "Landing", "Lane", "Light",
    "Lock", "Lodge", "Manor", "Meadow", "Mill", "Mission", "Motorway", "Mount", "Mountain", "Neck",
    "Orchard", "Oval", "Overpass", "Park", "Parkway", "Pass", "Passage", "Path", "Pike", "Pine", "Place",
    "Plain", "Plaza", "Point", "Port", "Prairie", "Radial", "Ramp", "Ranch", "Rapid", "Rest", "Ridge",
    "River", "Road", "Route", "Row", "Rue", "Run", "Shoal", "Shore", "Skyway", "Spring", "Spur",
    "Square", "Station", "Stream", "Street", "Summit", "Terrace", "Trace", "Track", "Trail", "Tunnel",
    "Turnpike", "Underpass", "Union", "Valley", "Via", "View", "Village", "Ville", "Vista", "Walk", "Way",
    "Well", "Wells",
)  # fmt: skip

CITIES: tuple[tuple[str, str], ...] = (
    ("New York", "New York"), ("Buffalo", "New York"), ("Yonkers", "New York"), ("Rochester", "New York"),
    ("Los Angeles", "California"), ("San Diego", "California"), ("San Jose", "California"),
    ("San Francisco", "California"), ("Fresno", "California"), ("Sacramento", "California"),
    ("Long Beach", "California"), ("Oakland", "California"), ("Fairfield", "California"),
    ("Chula Vista", "California"), ("Costa Mesa", "California"), ("Inglewood", "California"),
    ("Pasadena", "California"), ("Irvine", "California"), ("Anaheim", "California"),
    ("Houston", "Texas"), ("San Antonio", "Texas"), ("Dallas", "Texas"), ("Austin", "Texas"),
    ("Fort Worth", "Texas"), ("El Paso", "Texas"), ("Amarillo", "Texas"), ("Lubbock", "Texas"),
    ("Plano", "Texas"), ("Laredo", "Texas"), ("Jacksonville", "Florida"), ("Miami", "Florida"),
    ("Tampa", "Florida"), ("Orlando", "Florida"), ("Tallahassee", "Florida"), ("Hialeah", "Florida"),
    ("Chicago", "Illinois"), ("Aurora", "Illinois"), ("Naperville", "Illinois"), ("Peoria", "Illinois"),
    ("Phoenix", "Arizona"), ("Tucson", "Arizona"), ("Mesa", "Arizona"), ("Scottsdale", "Arizona"),
    ("Philadelphia", "Pennsylvania"), ("Pittsburgh", "Pennsylvania"), ("Allentown", "Pennsylvania"),
    ("Columbus", "Ohio"), ("Cleveland", "Ohio"), ("Cincinnati", "Ohio"), ("Toledo", "Ohio"),
    ("Charlotte", "North Carolina"), ("Raleigh", "North Carolina"), ("Durham", "North Carolina"),
    ("Indianapolis", "Indiana"), ("Fort Wayne", "Indiana"), ("Seattle", "Washington"),
    ("Spokane", "Washington"), ("Tacoma", "Washington"), ("Bellevue", "Washington"),
    ("Denver", "Colorado"), ("Colorado Springs", "Colorado"), ("Aurora", "Colorado"),
    ("Boulder", "Colorado"), ("Washington", "District of Columbia"), ("Boston", "Massachusetts"),
    ("Worcester", "Massachusetts"), ("Springfield", "Massachusetts"), ("Nashville", "Tennessee"),
    ("Memphis", "Tennessee"), ("Knoxville", "Tennessee"), ("Detroit", "Michigan"),
    ("Grand Rapids", "Michigan"), ("Lansing", "Michigan"), ("Portland", "Oregon"), ("Salem", "Oregon"),
    ("Eugene", "Oregon"), ("Las Vegas", "Nevada"), ("Reno", "Nevada"), ("Henderson", "Nevada"),
    ("Louisville", "Kentucky"), ("Lexington", "Kentucky"), ("Baltimore", "Maryland"),
    ("Milwaukee", "Wisconsin"), ("Madison", "Wisconsin"), ("Albuquerque", "New Mexico"),
    ("Santa Fe", "New Mexico"), ("Oklahoma City", "Oklahoma"), ("Tulsa", "Oklahoma"),
    ("Kansas City", "Missouri"), ("St. Louis", "Missouri"), ("Omaha", "Nebraska"), ("Lincoln", "Nebraska"),
    ("Atlanta", "Georgia"), ("Savannah", "Georgia"), ("Minneapolis", "Minnesota"),
    ("St. Paul", "Minnesota"), ("New Orleans", "Louisiana"), ("Baton Rouge", "Louisiana"),
    ("Wichita", "Kansas"), ("Topeka", "Kansas"), ("Virginia Beach", "Virginia"), ("Richmond", "Virginia"),
    ("Norfolk", "Virginia"), ("Newark", "New Jersey"), ("Jersey City", "New Jersey"),
    ("Birmingham", "Alabama"), ("Montgomery", "Alabama"), ("Salt Lake City", "Utah"), ("Provo", "Utah"),
    ("Boise", "Idaho"), ("Des Moines", "Iowa"), ("Little Rock", "Arkansas"), ("Jackson", "Mississippi"),
    ("Hartford", "Connecticut"), ("Bridgeport", "Connecticut"), ("Providence", "Rhode Island"),
    ("Columbia", "South Carolina"), ("Charleston", "South Carolina"), ("Anchorage", "Alaska"),
    ("Honolulu", "Hawaii"), ("Billings", "Montana"), ("Fargo", "North Dakota"),
    ("Sioux Falls", "South Dakota"), ("Cheyenne", "Wyoming"), ("Manchester", "New Hampshire"),
    ("Burlington", "Vermont"), ("Portland", "Maine"), ("Wilmington", "Delaware"),
    ("Charleston", "West Virginia"),
)  # fmt: skip

# Assigned US area codes; the rest of a number is random, so numbers parse as plausible US numbers.
AREA_CODES: tuple[str, ...] = (
    "201", "202", "203", "205", "206", "207", "208", "209", "210", "212", "213", "214", "215", "216",
    "217", "218", "219", "224", "225", "228", "229", "231", "234", "239", "240", "248", "251", "252",
    "253", "254", "256", "260", "262", "267", "269", "270", "272", "276", "281", "301", "302", "303",
    "304", "305", "307", "308", "309", "310", "312", "313", "314", "315", "316", "317", "318", "319",
    "320", "321", "323", "325", "330", "331", "334", "336", "337", "339", "347", "351", "352", "360",
    "361", "385", "386", "401", "402", "404", "405", "406", "407", "408", "409", "410", "412", "413",
    "414", "415", "417", "419", "423", "424", "425", "430", "432", "434", "435", "440", "442", "443",
    "458", "469", "470", "475", "478", "479", "480", "484", "501", "502", "503", "504", "505", "507",
    "508", "509", "510", "512", "513", "515", "516", "517", "518", "520", "530", "534", "539", "540",
    "541", "551", "559", "561", "562", "563", "567", "570", "571", "573", "574", "575", "580", "585",
    "586", "601", "602", "603", "605", "606", "607", "608", "609", "610", "612", "614", "615", "616",
    "617", "618", "619", "620", "623", "626", "630", "631", "636", "641", "646", "650", "651", "657",
    "660", "661", "662", "678", "682", "701", "702", "703", "704", "706", "707", "708", "712", "713",
    "714", "715", "716", "717", "718", "719", "720", "724", "727", "731", "732", "734", "740", "747",
    "754", "757", "760", "762", "763", "765", "769", "770", "772", "773", "774", "775", "779", "781",
    "785", "786", "801", "802", "803", "804", "805", "806", "808", "810", "812", "813", "814", "815",
    "816", "817", "818", "828", "830", "831", "832", "843", "845", "847", "848", "850", "856", "857",
    "858", "859", "860", "862", "863", "864", "865", "870", "872", "878", "901", "903", "904", "906",
    "907", "908", "909", "910", "912", "913", "914", "915", "916", "917", "918", "919", "920", "925",
    "928", "929", "931", "936", "937", "940", "941", "947", "949", "951", "952", "954", "956", "970",
    "971", "972", "973", "978", "979", "980", "985", "989",
)  # fmt: skip

# Contoso's categories with weights close to its shares, so demo segments select similar fractions.
LOYALTY_TIERS: tuple[tuple[str, float], ...] = (("low", 0.10), ("medium", 0.81), ("high", 0.09))
OCCUPATIONS: tuple[tuple[str, float], ...] = (
    ("Teacher", 0.52), ("Software Engineer", 0.44), ("Student", 0.023), ("Investment Banking", 0.013),
    ("Doctor", 0.004),
)  # fmt: skip
SATISFACTION_LEVELS: tuple[tuple[str, float], ...] = (("low", 0.26), ("medium", 0.50), ("high", 0.24))
EMAIL_SUBSCRIBER_SHARE = 0.33
CREDIT_CARD_SHARE = 0.5

# Contoso's review texts, each with the rating it always carries there.
REVIEWS: tuple[tuple[str, int], ...] = (
    ("The shipment was delayed", 2),
    ("Product is available only in limited colors", 3),
    ("Satisfied with my product", 4),
    ("Affordable prices and good quality products", 5),
)

ONLINE_ACTIVITY = ("OnlinePurchase", "Purchased a product online")
POS_ACTIVITY = ("POS Purchase", "Purchased a product In-Store")
REVIEW_ACTIVITY = "WebsiteReview"
