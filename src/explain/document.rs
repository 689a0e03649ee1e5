//! The document an explanation is: headings, paragraphs and lists of plain sentences, with
//! no markup of its own. Each renderer (`render`) turns it into one output format, so the
//! English is written once and every format says exactly the same thing.

/// A whole explanation: a title, then blocks in reading order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    pub title: String,
    pub blocks: Vec<Block>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Block {
    /// A section heading; level 1 is a section, level 2 a subsection (one outcome).
    Heading {
        level: u8,
        text: String,
    },
    Paragraph(String),
    List(Vec<Item>),
}

/// One list entry, with the entries nested under it (the parts of an "all of these" rule).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub text: String,
    pub children: Vec<Item>,
}

impl Item {
    pub fn new(text: impl Into<String>) -> Item {
        Item { text: text.into(), children: Vec::new() }
    }
}

impl Document {
    pub fn new(title: impl Into<String>) -> Document {
        Document { title: title.into(), blocks: Vec::new() }
    }

    pub fn heading(&mut self, level: u8, text: impl Into<String>) {
        self.blocks.push(Block::Heading { level, text: text.into() });
    }

    pub fn paragraph(&mut self, text: impl Into<String>) {
        self.blocks.push(Block::Paragraph(text.into()));
    }

    pub fn list(&mut self, items: Vec<Item>) {
        if !items.is_empty() {
            self.blocks.push(Block::List(items));
        }
    }
}
